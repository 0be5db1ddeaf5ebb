/**
 * Runs the conformance suite against the Cloud Storage emulator (installed and started on demand
 * by ensureGcsEmulator, with GCS-style ifGenerationMatch enforcement). If the emulator cannot be
 * installed or started, these tests fail.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Storage } from "@google-cloud/storage";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ensureGcsEmulator, type RunningGcsEmulator } from "../../../../scripts/gcs-emulator/ensure-gcs-emulator.js";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { collect, equalBytes, expectBlobError, pattern, toArray } from "./blob-test-support.js";
import { createGcsBlobStore, type GcsBlobStoreOptions } from "./gcs-blob-store.js";

const BUCKET = "vellum-test";
let emulator: Promise<RunningGcsEmulator> | undefined;
const startEmulator = () => (emulator ??= ensureGcsEmulator({ logRequests: true }));
const stopEmulator = async () => {
  const e = emulator;
  emulator = undefined;
  const running = await e?.catch(() => undefined); // a failed start already failed every test
  await running?.stop();
};

async function gcs(extra: Partial<GcsBlobStoreOptions> = {}) {
  const em = await startEmulator();
  const storage = new Storage({ apiEndpoint: em.endpoint, projectId: "demo-vellum" });
  const prefix = extra.prefix ?? `t-${randomBytes(6).toString("hex")}`;
  const store = createGcsBlobStore({ storage, bucket: BUCKET, ...extra, prefix });
  return { store, storage, em, prefix };
}
const fixture = (extra: Partial<GcsBlobStoreOptions>) => async () => ({
  store: (await gcs(extra)).store,
  cleanup: async () => undefined,
});

runBlobStoreConformance("gcs, ifGenerationMatch preconditions", fixture({})).run();
runBlobStoreConformance("gcs, preconditions, mostly resumable uploads", fixture({ simpleUploadMaxBytes: 16 * 1024 })).run();
runBlobStoreConformance("gcs, stat-then-write ifAbsent", fixture({ supportsPreconditions: false })).run();

const t = suite("gcs-blob-store specifics (emulator)");
t.after(stopEmulator);

t("objects live under the prefix; list pages with a small page size", async () => {
  const { store, storage } = await gcs({ prefix: "pfx/sub", listPageSize: 3 });
  const keys = Array.from({ length: 10 }, (_, i) => `k/${String(i).padStart(2, "0")}`);
  for (const k of keys) await store.put(k, pattern(5));
  assert.is(store.description, `gs://${BUCKET}/pfx/sub`);
  assert.equal((await toArray(store.list("k/"))).map((b) => b.key), keys);
  const [files] = await storage.bucket(BUCKET).getFiles({ prefix: "pfx/sub/k/" });
  assert.equal(files.map((f) => f.name).sort(), keys.map((k) => `pfx/sub/${k}`));
  for (const k of keys) await store.delete(k);
  assert.equal(await toArray(store.list("")), []);
});

t("small bodies go in one simple upload, larger ones in a resumable session", async () => {
  const { store, em, prefix } = await gcs({ simpleUploadMaxBytes: 1000 });
  await em.takeRequests();
  await store.put("small", pattern(1000, 1));
  const simple = (await em.takeRequests()).filter((r) => r.includes("/upload/"));
  assert.is(simple.length, 1, simple.join("\n"));
  assert.match(simple[0], /^POST .*uploadType=multipart/);
  assert.ok(simple[0].includes(`name=${encodeURIComponent(`${prefix}/small`)}`), simple[0]);

  async function* body() {
    yield pattern(600, 2);
    yield pattern(600, 3);
  }
  await store.put("large", body());
  const resumable = (await em.takeRequests()).filter((r) => r.includes("/upload/"));
  assert.is(resumable.length, 2, resumable.join("\n"));
  assert.match(resumable[0], /^POST .*uploadType=resumable/);
  assert.match(resumable[1], /^PUT .*upload_id=/);
  equalBytes(await collect(store.get("large")), Buffer.concat([pattern(600, 2), pattern(600, 3)]));
});

t("ifAbsent sends ifGenerationMatch=0 only when the backend supports preconditions", async () => {
  const withPre = await gcs();
  await withPre.em.takeRequests();
  await withPre.store.put("a", pattern(10), { ifAbsent: true });
  const sent = await withPre.em.takeRequests();
  assert.ok(sent.some((r) => r.startsWith("POST /upload/") && r.includes("ifGenerationMatch=0")), sent.join("\n"));
  await expectBlobError(() => withPre.store.put("a", pattern(10), { ifAbsent: true }), "BlobAlreadyExists");

  const without = await gcs({ supportsPreconditions: false });
  await without.em.takeRequests();
  await without.store.put("a", pattern(10), { ifAbsent: true });
  const plain = await without.em.takeRequests();
  assert.ok(plain.some((r) => r.startsWith("POST /upload/")), plain.join("\n"));
  assert.not.ok(plain.some((r) => r.includes("ifGenerationMatch")), plain.join("\n"));
  await expectBlobError(() => without.store.put("a", pattern(10), { ifAbsent: true }), "BlobAlreadyExists");
});

t("a ranged read is one metadata request plus one Range request; a whole read is one request", async () => {
  const { store, em, prefix } = await gcs();
  const data = pattern(5000, 7);
  await store.put("r", data);
  await em.takeRequests();
  equalBytes(await collect(store.get("r", { offset: 100, length: 50 })), data.subarray(100, 150));
  const object = encodeURIComponent(`${prefix}/r`);
  const ranged = (await em.takeRequests()).filter((r) => r.includes(object));
  assert.is(ranged.length, 2, ranged.join("\n"));
  assert.ok(!ranged[0].includes("alt=media"), ranged[0]);
  assert.match(ranged[1], /alt=media.* range=bytes=100-149$/);
  equalBytes(await collect(store.get("r")), data);
  const whole = (await em.takeRequests()).filter((r) => r.includes(object));
  assert.is(whole.length, 1, whole.join("\n"));
  assert.match(whole[0], /alt=media.* range=$/);
});

t("streamed downloads, whole and ranged, raise no MaxListenersExceededWarning", async () => {
  const { store } = await gcs();
  const data = pattern(3 * 1024 * 1024, 9);
  await store.put("w", data);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => void (w.name === "MaxListenersExceededWarning" && warnings.push(w));
  process.on("warning", onWarning);
  try {
    for (let i = 0; i < 3; i++) {
      equalBytes(await collect(store.get("w")), data);
      equalBytes(await collect(store.get("w", { offset: 10, length: 100_000 })), data.subarray(10, 100_010));
    }
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off("warning", onWarning);
  }
  assert.equal(warnings.map((w) => w.message), []);
});

t("names under the prefix that are not valid keys are not listed", async () => {
  const { store, storage, prefix } = await gcs();
  await store.put("good", pattern(3));
  await storage.bucket(BUCKET).file(`${prefix}/bad name`).save(Buffer.from("x"), { resumable: false });
  await storage.bucket(BUCKET).file(`${prefix}/dir/`).save(Buffer.from(""), { resumable: false });
  assert.equal(await toArray(store.list("")), [{ key: "good", size: 3 }]);
});

t("an unreachable backend surfaces as BlobUnavailable", async () => {
  const port = await new Promise<number>((ok) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
  const storage = new Storage({
    apiEndpoint: `http://127.0.0.1:${port}`,
    projectId: "demo-vellum",
    retryOptions: { autoRetry: false },
  });
  const store = createGcsBlobStore({ storage, bucket: BUCKET });
  await expectBlobError(() => store.stat("k"), "BlobUnavailable");
  await expectBlobError(() => collect(store.get("k")), "BlobUnavailable");
  await expectBlobError(() => store.put("k", pattern(10)), "BlobUnavailable");
  await expectBlobError(() => toArray(store.list("")), "BlobUnavailable");
  await expectBlobError(() => store.delete("k"), "BlobUnavailable");
});

t.run();
