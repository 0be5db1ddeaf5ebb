import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { LineageDirection, LineageEdgeKind, LineageNodeKind } from "../../gen/vellum/v1/lineage_pb.js";
import { ensureGcsEmulator } from "../../scripts/gcs-emulator/ensure-gcs-emulator.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { tempDir } from "./support/test-server.js";
import { download, lineageOf, portable, succeeded, transferOf, uploadRich, waitForJob } from "./transfer-helpers.js";

interface Ctx {
  a: MemoryHarness;
  b: MemoryHarness;
  root: { path: string; remove(): void };
  outside: { path: string; remove(): void };
  emulator: Awaited<ReturnType<typeof ensureGcsEmulator>>;
}
const test = suite<Ctx>("transfer: export and import round trips (files, GCS emulator), into another store and another Vellum");
const KEY = randomBytes(32);

test.before(async (ctx) => {
  ctx.root = tempDir("vellum-export-root-");
  ctx.outside = tempDir("vellum-outside-");
  ctx.emulator = await ensureGcsEmulator();
  const gcs = { VELLUM_GCS_ENDPOINT: ctx.emulator.endpoint };
  // A: export root set; B: another Vellum (own database and master key), no export root.
  ctx.a = await createMemoryHarness(undefined, { ...gcs, VELLUM_EXPORT_ROOT: ctx.root.path });
  ctx.b = await createMemoryHarness(undefined, gcs);
});
test.after(async (ctx) => {
  await ctx.a?.close();
  await ctx.b?.close();
  await ctx.emulator?.stop();
  ctx.root.remove();
  ctx.outside.remove();
});

test("file:// round trip into another store: same bytes and metadata; lineage names the archive", async ({ a, root }) => {
  const content = randomBytes(3 * 1024 * 1024 + 123);
  const src = await uploadRich(a, "src", content);
  const exp = await transferOf(a).exportSnapshot({ storeId: "src", snapshotId: src.snapshotId, destination: `file://${root.path}/weekly` });
  const done = await succeeded(a, "src", exp.job);
  const location = done.result!.details!.location as string;
  assert.is(location, `file://${root.path}/weekly/${src.snapshotId}.vellum`);
  assert.equal(readdirSync(join(root.path, "weekly")), [`${src.snapshotId}.vellum`], "no partial files are left");
  assert.is(done.result!.details!.sha256, src.sha256);

  const imp = await transferOf(a).importSnapshot({ storeId: "dst", source: location });
  const imported = await succeeded(a, "dst", imp.job);
  const { snapshot, bytes } = await download(a, "dst", imported.result!.snapshotId);
  assert.ok(bytes.equals(content));
  assert.equal(portable(snapshot), portable(src));
  assert.is.not(snapshot.snapshotId, src.snapshotId);

  const graph = await lineageOf(a).getLineage({ storeId: "dst", snapshotId: snapshot.snapshotId, direction: LineageDirection.UPSTREAM });
  const from = graph.edges.find((e) => e.kind === LineageEdgeKind.IMPORTED_FROM);
  assert.ok(from, "an IMPORTED_FROM edge");
  assert.is(from!.from!.kind, LineageNodeKind.EXTERNAL);
  assert.is(from!.from!.id, location);
  assert.ok(graph.edges.some((e) => e.kind === LineageEdgeKind.PRODUCED_BY && e.from!.id === imported.jobId));
});

test("gs:// encrypted round trip into another Vellum; a wrong or missing key fails clearly", async ({ a, b }) => {
  const content = randomBytes(2 * 1024 * 1024 + 7);
  const src = await uploadRich(a, "src", content);
  const exp = await transferOf(a).exportSnapshot({
    storeId: "src",
    snapshotId: src.snapshotId,
    destination: "gs://vellum-exports/team/weekly",
    encrypt: true,
    encryptionKey: KEY,
  });
  const done = await succeeded(a, "src", exp.job);
  const location = done.result!.details!.location as string;
  assert.is(location, `gs://vellum-exports/team/weekly/${src.snapshotId}.vellum`);
  assert.is(done.result!.details!.encrypted, true);

  const imp = await transferOf(b).importSnapshot({ storeId: "elsewhere", source: location, decryptionKey: KEY });
  const imported = await succeeded(b, "elsewhere", imp.job);
  const { snapshot, bytes } = await download(b, "elsewhere", imported.result!.snapshotId);
  assert.ok(bytes.equals(content));
  assert.equal(portable(snapshot), portable(src));

  const wrong = await transferOf(b).importSnapshot({ storeId: "elsewhere", source: location, decryptionKey: randomBytes(32) });
  const failed = await waitForJob(b, "elsewhere", wrong.job!.jobId);
  assert.is(failed.state, JobState.FAILED);
  assert.is(failed.errors[0].code, "INVALID_ARGUMENT");
  assert.match(failed.errors[0].message, /decryption_key/);
  assert.is(failed.attempts, 1, "a wrong key is not retried");

  const none = await transferOf(b).importSnapshot({ storeId: "elsewhere", source: location });
  const failedNone = await waitForJob(b, "elsewhere", none.job!.jobId);
  assert.is(failedNone.state, JobState.FAILED);
  assert.match(failedNone.errors[0].message, /encrypted/);
});

test("a flipped byte or a cut archive fails the import with DATA_LOSS, and stores nothing", async ({ a, root }) => {
  const content = randomBytes(200_000);
  const src = await uploadRich(a, "src", content);
  const exp = await transferOf(a).exportSnapshot({ storeId: "src", snapshotId: src.snapshotId, destination: `file://${root.path}/bad` });
  const archive = readFileSync(join(root.path, "bad", `${(await succeeded(a, "src", exp.job)).snapshotId}.vellum`));
  const flipped = Buffer.from(archive);
  flipped[archive.length - 50_000] ^= 0x40;
  writeFileSync(join(root.path, "bad", "flipped.vellum"), flipped);
  writeFileSync(join(root.path, "bad", "cut.vellum"), archive.subarray(0, archive.length - 30_000));
  for (const name of ["flipped", "cut"]) {
    const imp = await transferOf(a).importSnapshot({ storeId: "corrupt", source: `file://${root.path}/bad/${name}.vellum` });
    const job = await waitForJob(a, "corrupt", imp.job!.jobId);
    assert.is(job.state, JobState.FAILED, name);
    assert.is(job.errors[0].code, "DATA_LOSS", `${name}: ${job.errors[0].message}`);
  }
  const listed = await a.snapshots.listSnapshots({ storeId: "corrupt" });
  assert.is(listed.snapshots.length, 0);
});

test("bad destinations and sources: INVALID_ARGUMENT or PERMISSION_DENIED before any job", async ({ a, b, root, outside }) => {
  const src = await uploadRich(a, "src", randomBytes(1000));
  const exp = (destination: string, extra: Record<string, unknown> = {}, h = a) =>
    expectError(transferOf(h).exportSnapshot({ storeId: "src", snapshotId: src.snapshotId, destination, ...extra }));
  mkdirSync(join(root.path, "links"), { recursive: true });
  symlinkSync(outside.path, join(root.path, "links", "out"));
  const denied = [
    `file://${outside.path}`,
    `file://${root.path}/../${outside.path.split("/").pop()}`,
    `file://${root.path}/links/out`,
    `file://${root.path}/links/out/deeper/still`,
  ];
  for (const d of denied) assert.is((await exp(d)).code, Code.PermissionDenied, d);
  assert.is((await exp(`file://${root.path}/x`, {}, b)).code, Code.NotFound, "B has no such snapshot");
  for (const [d, extra] of [
    ["ftp://example.com/x", {}],
    ["gs://UPPER/x", {}],
    ["gs://bucket/../x", {}],
    ["", {}],
    [`file://${root.path}/x`, { encrypt: true }],
    [`file://${root.path}/x`, { encrypt: true, encryptionKey: randomBytes(16) }],
    [`file://${root.path}/x`, { encryptionKey: KEY }],
    ["https://169.254.169.254/latest", {}],
    ["https://127.0.0.1/x", {}],
    ["https://user:pw@example.com/x", {}],
    ["http://example.com/x", {}],
    [`file://${root.path}/x`, { notifyWebhook: "http://10.0.0.1/hook" }],
  ] as const) {
    const e = await exp(d, extra);
    assert.is(e.code, Code.InvalidArgument, `${d} ${JSON.stringify(Object.keys(extra))}: ${e.message}`);
  }
  assert.not.ok(existsSync(join(outside.path, `${src.snapshotId}.vellum`)));
  const imp = (source: string, h = a) => expectError(transferOf(h).importSnapshot({ storeId: "dst", source }));
  assert.is((await imp(`file://${root.path}/links/out/a.vellum`)).code, Code.PermissionDenied);
  assert.is((await imp(`file://${root.path}/x.vellum`, b)).code, Code.PermissionDenied, "no export root: file:// is off");
  assert.is((await imp("http://127.0.0.1:1/x", b)).code, Code.InvalidArgument, "loopback is refused when not allowlisted");
});

test.run();
