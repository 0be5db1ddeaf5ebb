/**
 * A parallel download to a file survives its server dying under it: a range cut off by the lost
 * connection resumes from the byte it reached once the server is back (a real server process,
 * killed with SIGKILL and started again on the same port, database and data directory). A lost
 * connection is UNAVAILABLE, never ABORTED or CANCELLED; a caller's cancel is not retried.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { startServerProcess, type ServerProcess } from "../../server/test/support/server-process.js";
import { createTestDatabase, type TestDatabase } from "../../server/test/support/test-db.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { createVellumClient, type VellumClient } from "../src/client.js";
import { Code, isVellumError, VellumError } from "../src/errors.js";
import type { RetryEvent } from "../src/retry-policy.js";
import { createBulkGrpcTransport } from "../src/node/bulk-transport.js";
import { downloadSnapshotToFile } from "../src/node/download-to.js";
import { uploadSnapshot } from "../src/upload.js";
import { patternBytes } from "./support/pattern.js";

interface Ctx {
  db: TestDatabase;
  dir: { path: string; remove(): void };
  server: ServerProcess;
  client: VellumClient;
  snapshotId: string;
}
const test = suite<Ctx>("sdk: downloads resume after the server dies under them (real server process)", {} as Ctx);
const MiB = 1024 * 1024;
const content = patternBytes(40 * MiB, 41); // incompressible: 40 MiB on the wire
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const OPTS = { parallel: 4, rangeBytes: 4 * MiB };

const start = (ctx: Ctx, port?: number) =>
  startServerProcess({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: join(ctx.dir.path, "data"), ...(port ? { PORT: String(port) } : {}) });

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir("vellum-resume-");
  ctx.server = await start(ctx);
  ctx.client = createVellumClient(createBulkGrpcTransport({ baseUrl: `http://127.0.0.1:${ctx.server.port}` }));
  const header = { storeId: "resume", resourceType: "dump", snapshotType: SnapshotType.DB };
  ctx.snapshotId = (await uploadSnapshot(ctx.client, header, content)).snapshotId;
});
test.after(async (ctx) => {
  ctx.server?.child.kill("SIGTERM");
  await ctx.server?.exited;
  await ctx.db?.drop();
  ctx.dir?.remove();
});

/** Kills the server with SIGKILL once `after` bytes have arrived; `restart` then starts it again on the same port. */
function killer(ctx: Ctx, after: number, restart: boolean) {
  let killed: Promise<void> | undefined;
  const onProgress = (n: number) => {
    if (killed || n < after) return;
    const old = ctx.server;
    old.child.kill("SIGKILL");
    killed = old.exited.then(async () => {
      if (restart) ctx.server = await start(ctx, old.port);
    });
  };
  return { onProgress, settled: () => killed };
}

/** The codes and messages along an error's cause chain (for failure messages). */
function causes(e: unknown): string {
  const out: string[] = [];
  for (let c: unknown = e instanceof Error ? e.cause : undefined; c instanceof Error && out.length < 8; c = c.cause) out.push(`${(c as { code?: unknown }).code ?? c.name}: ${c.message}`);
  return out.join(" <- ") || "none";
}

test("SIGKILL of the server mid-download, then a restart: the download resumes and the file is byte-identical", async (ctx) => {
  const target = join(ctx.dir.path, "resumed.bin");
  const retries: RetryEvent[] = [];
  const kill = killer(ctx, 10 * MiB, true);
  const snapshot = await downloadSnapshotToFile(ctx.client, { storeId: "resume", snapshotId: ctx.snapshotId }, target, {
    ...OPTS,
    onProgress: kill.onProgress,
    resume: { onRetry: (e) => retries.push(e) },
  });
  await kill.settled();
  assert.ok(retries.length > 0, "the ranges in flight were resumed");
  for (const r of retries) assert.is(r.error.code, Code.Unavailable, `retried on ${r.error.message}`);
  assert.is(snapshot.sha256, sha256(content));
  assert.is(sha256(readFileSync(target)), sha256(content));
});

test("a server that does not come back: UNAVAILABLE after the resume attempts, no file and no temp file left", async (ctx) => {
  const target = join(ctx.dir.path, "gone.bin");
  const retries: RetryEvent[] = [];
  const kill = killer(ctx, 10 * MiB, false);
  const err = await downloadSnapshotToFile(ctx.client, { storeId: "resume", snapshotId: ctx.snapshotId }, target, {
    ...OPTS,
    onProgress: kill.onProgress,
    resume: { maxAttempts: 3, initialDelayMs: 20, onRetry: (e) => retries.push(e) },
  }).then(() => undefined, (e: unknown) => e);
  await kill.settled();
  try {
    assert.ok(isVellumError(err, Code.Unavailable), `${String(err)}; cause chain: ${causes(err)}`);
    assert.ok(retries.length >= 2, `${retries.length} resume attempts`);
    assert.not.ok(existsSync(target));
    assert.equal(readdirSync(ctx.dir.path).filter((n) => n.includes("gone.bin")), []);
  } finally {
    ctx.server = await start(ctx, ctx.server.port); // back for the next test
  }
});

test("the caller's cancel is not retried: CANCELLED at once", async (ctx) => {
  const ac = new AbortController();
  const retries: RetryEvent[] = [];
  const err = await downloadSnapshotToFile(ctx.client, { storeId: "resume", snapshotId: ctx.snapshotId }, join(ctx.dir.path, "cancelled.bin"), {
    ...OPTS,
    signal: ac.signal,
    onProgress: (n) => n > 8 * MiB && ac.abort(new Error("the caller stops")),
    resume: { onRetry: (e) => retries.push(e) },
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, String(err));
  assert.ok(!(err instanceof VellumError) || err.code === Code.Canceled, String(err));
  assert.equal(retries, []);
});

test.run();
