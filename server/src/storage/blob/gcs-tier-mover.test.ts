/**
 * The GCS storage-class move (createGcsTierMover) against the Cloud Storage emulator, started with
 * GCS-style ifGenerationMatch enforcement: the object keeps its name and bytes and becomes a new
 * generation, through a simple or a resumable upload; a missing object is BlobNotFound; a
 * concurrent overwrite between the move's look at the object and its upload is never lost.
 */
import { randomBytes } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ensureGcsEmulator, type RunningGcsEmulator } from "../../../../scripts/gcs-emulator/ensure-gcs-emulator.js";
import { isBlobError } from "./blob-store.js";
import { collect, equalBytes, expectBlobError, pattern } from "./blob-test-support.js";
import { createGcsBlobStore } from "./gcs-blob-store.js";
import { createGcsTierMover } from "./tier-mover.js";

const BUCKET = "vellum-tier-test";
const test = suite("GCS tier mover (Cloud Storage emulator)");
let emulator: RunningGcsEmulator;
let storage: Storage;

test.before(async () => {
  emulator = await ensureGcsEmulator({ logRequests: true });
  storage = new Storage({ apiEndpoint: emulator.endpoint, projectId: "demo-vellum" });
});
test.after(async () => {
  await emulator?.stop();
});

const fresh = () => `t-${randomBytes(6).toString("hex")}`;
const generationOf = async (name: string) => String((await storage.bucket(BUCKET).file(name).getMetadata())[0].generation);

for (const [kind, simpleUploadMaxBytes] of [["simple", undefined], ["resumable", 64 * 1024]] as const) {
  test(`a move keeps the name and bytes and writes a new generation (${kind} upload)`, async () => {
    const prefix = fresh();
    const store = createGcsBlobStore({ storage, bucket: BUCKET, prefix });
    const mover = createGcsTierMover({ storage, bucket: BUCKET, prefix, simpleUploadMaxBytes });
    const data = pattern(1_000_000, 7);
    await store.put("packs/p1", data);
    const before = await generationOf(`${prefix}/packs/p1`);
    await emulator.takeRequests();
    await mover.move("packs/p1", "STANDARD", "COLD");
    const requests = await emulator.takeRequests();
    assert.ok(requests.some((l) => l.startsWith("GET ") && l.includes("alt=media") && l.includes(`generation=${before}`)), `the source generation is read: ${requests.join("\n")}`);
    const uploads = requests.filter((l) => l.startsWith("POST /upload/"));
    assert.is(uploads.length, 1, uploads.join("\n"));
    assert.ok(uploads[0].includes(`ifGenerationMatch=${before}`), uploads[0]);
    assert.ok(uploads[0].includes(`uploadType=${kind === "simple" ? "multipart" : "resumable"}`), uploads[0]);
    assert.is.not(await generationOf(`${prefix}/packs/p1`), before);
    equalBytes(await collect(store.get("packs/p1")), data);
    await emulator.takeRequests();
    await mover.move("packs/p1", "COLD", "COLD"); // same class: nothing to do
    assert.equal((await emulator.takeRequests()).filter((l) => !l.includes("log-marker")), []);
  });
}

test("moving a missing object is BlobNotFound", async () => {
  const mover = createGcsTierMover({ storage, bucket: BUCKET, prefix: fresh() });
  await expectBlobError(() => mover.move("packs/none", "STANDARD", "ARCHIVE"), "BlobNotFound");
});

for (const change of ["overwrite", "delete"] as const) {
  test(`a ${change} landing between the move's look at the object and its upload is kept: the move fails`, async () => {
    const prefix = fresh();
    const name = `${prefix}/packs/p2`;
    const store = createGcsBlobStore({ storage, bucket: BUCKET, prefix });
    await store.put("packs/p2", pattern(300_000, 1));
    const newer = pattern(300_000, 2);
    // A Storage whose first metadata read of the object is followed by another writer's change.
    const real = storage.bucket(BUCKET);
    let raced = false;
    const racing = {
      bucket: () => ({
        file: (n: string, o?: { generation?: number }) => {
          const f = real.file(n, o);
          const getMetadata = f.getMetadata.bind(f);
          Object.assign(f, {
            getMetadata: async () => {
              const md = await getMetadata();
              if (!raced && n === name) {
                raced = true;
                await (change === "overwrite" ? store.put("packs/p2", newer) : store.delete("packs/p2"));
              }
              return md;
            },
          });
          return f;
        },
      }),
    } as unknown as Storage;
    const mover = createGcsTierMover({ storage: racing, bucket: BUCKET, prefix });
    let failure: unknown;
    await mover.move("packs/p2", "STANDARD", "ARCHIVE").catch((e) => (failure = e));
    assert.ok(raced);
    // The emulator serves the newest bytes whatever generation is asked for, so after an overwrite
    // the conditional upload is refused (412); real GCS answers the read of a replaced generation
    // with 404, as both do after a delete.
    assert.ok(isBlobError(failure) && (failure.name === "BlobAlreadyExists" || failure.name === "BlobNotFound"), String(failure));
    if (change === "overwrite") equalBytes(await collect(store.get("packs/p2")), newer, "the concurrent overwrite is what the object holds");
    else assert.is(await store.stat("packs/p2"), undefined, "the deleted object stays deleted");
  });
}

test.run();
