/**
 * Uploads and downloads through the SDK against the real server, over gRPC (HTTP/2) and Connect
 * (HTTP/1.1) from connect-node: ~24 MiB from a file path and from an async generator, whole and
 * ranged downloads byte for byte, and downloads to files with SHA-256 verification.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "../../server/test/support/test-server.js";
import {
  Code,
  createVellumClient,
  downloadSnapshot,
  downloadSnapshotToFile,
  IntegrityError,
  listSnapshots,
  SnapshotType,
  uploadSnapshot,
  VellumError,
  type Snapshot,
  type VellumClient,
} from "../src/node.js";
import { patternBytes } from "./support/pattern.js";
import { collect, NODE_TRANSPORTS, startSdkServer, type NamedTransport, type SdkServer } from "./support/sdk-server.js";

const MiB = 1024 * 1024;
const SIZE = 24 * MiB + 12_345;
const content = Buffer.from(patternBytes(SIZE, 42));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Ctx {
  srv: SdkServer;
  client: VellumClient;
  dir: { path: string; remove(): void };
  /** Message sizes of each UploadSnapshot call: -1 for the header, then chunk lengths. */
  uploads: number[][];
  /** The header message of each UploadSnapshot call. */
  headers: { expectedSize: bigint; expectedSha256: string }[];
  /** When set, DownloadSnapshot responses are damaged on the way in (a network test double). */
  damage?: "flip" | "truncate";
  fromFile?: Snapshot;
}

/** Records UploadSnapshot request messages and optionally damages DownloadSnapshot responses. */
function observe(ctx: Ctx): Interceptor {
  return (next) => async (req) => {
    if (req.stream && req.method.name === "UploadSnapshot") {
      const sizes: number[] = [];
      ctx.uploads.push(sizes);
      const tap = async function* (it: AsyncIterable<unknown>) {
        for await (const m of it) {
          const msg = (m as { msg: { case: string; value: Uint8Array } }).msg;
          if (msg.case === "header") ctx.headers.push(msg.value as unknown as Ctx["headers"][number]);
          sizes.push(msg.case === "header" ? -1 : msg.value.length);
          yield m;
        }
      };
      return next({ ...req, message: tap(req.message) as typeof req.message });
    }
    const res = await next(req);
    if (!res.stream || req.method.name !== "DownloadSnapshot" || !ctx.damage) return res;
    const mode = ctx.damage;
    const damaged = async function* (it: AsyncIterable<unknown>) {
      const all: { chunk: Uint8Array }[] = [];
      for await (const m of it) all.push(m as { chunk: Uint8Array });
      if (mode === "truncate") all.pop();
      else {
        const first = all.find((m) => m.chunk.length > 0)!;
        first.chunk = Uint8Array.from(first.chunk, (b, i) => (i === 0 ? b ^ 1 : b));
      }
      yield* all;
    };
    return { ...res, message: damaged(res.message) as typeof res.message };
  };
}

function transferSuite(t: NamedTransport) {
  const test = suite<Ctx>(`sdk transfers: ${t.name}`, {} as Ctx);

  test.before(async (ctx) => {
    ctx.uploads = [];
    ctx.headers = [];
    ctx.srv = await startSdkServer();
    ctx.client = createVellumClient(t.make(ctx.srv.baseUrl, [observe(ctx)]));
    ctx.dir = tempDir("vellum-sdk-files-");
  });
  test.after(async (ctx) => {
    await ctx.srv?.close();
    ctx.dir?.remove();
  });

  test("uploads ~24 MiB from a file path in 1 MiB messages, with size and SHA-256 expectations", async (ctx) => {
    const path = join(ctx.dir.path, "source.bin");
    writeFileSync(path, content);
    const snap = await uploadSnapshot(
      ctx.client,
      { storeId: "s1", resourceType: "dump", resourceId: "db-1", snapshotType: SnapshotType.DB },
      path,
      { verify: true },
    );
    assert.is(snap.size, BigInt(SIZE));
    assert.is(snap.sha256, sha(content));
    assert.is(snap.version, 1n);
    const sizes = ctx.uploads.at(-1)!;
    assert.is(sizes[0], -1, "header first");
    assert.is(sizes.length, 1 + 25);
    assert.ok(sizes.slice(1, -1).every((n) => n === MiB), "every chunk but the last is 1 MiB");
    assert.is(sizes.at(-1), 12_345);
    assert.is(ctx.headers.at(-1)!.expectedSize, BigInt(SIZE), "stat size sent as expected_size");
    assert.is(ctx.headers.at(-1)!.expectedSha256, sha(content), "verify: true sent the file's SHA-256");
    ctx.fromFile = snap;
  });

  test("uploads from an async generator of odd-sized pieces, re-sliced to the chosen chunk size", async (ctx) => {
    async function* pieces() {
      let off = 0;
      let step = 1;
      while (off < SIZE) {
        const n = Math.min(SIZE - off, step % 3 === 0 ? 3 * MiB + 7 : 65_537);
        yield content.subarray(off, off + n);
        off += n;
        step++;
      }
    }
    const snap = await uploadSnapshot(ctx.client, { storeId: "s1", resourceType: "dump", snapshotType: SnapshotType.BLOB }, pieces(), {
      chunkSize: 4 * MiB,
    });
    assert.is(snap.sha256, sha(content));
    assert.is(snap.size, BigInt(SIZE));
    const sizes = ctx.uploads.at(-1)!;
    assert.ok(sizes.slice(1, -1).every((n) => n === 4 * MiB));
    assert.is(sizes.slice(1).reduce((a, b) => a + b, 0), SIZE);
    assert.is(ctx.headers.at(-1)!.expectedSize, 0n, "no expectations invented for a stream");
    assert.is(ctx.headers.at(-1)!.expectedSha256, "");
  });

  test("downloads whole and ranged content byte for byte", async (ctx) => {
    const id = { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId };
    let meta: Snapshot | undefined;
    const whole = await collect(downloadSnapshot(ctx.client, id, { onSnapshot: (s) => (meta = s) }));
    assert.ok(whole.equals(content), "whole download is byte-exact");
    assert.is(meta?.snapshotId, id.snapshotId);
    const range = await collect(downloadSnapshot(ctx.client, { ...id, offset: 5_000_001, length: 3 * MiB + 3 }));
    assert.ok(range.equals(content.subarray(5_000_001, 5_000_001 + 3 * MiB + 3)), "range is byte-exact");
    const tail = await collect(downloadSnapshot(ctx.client, { ...id, offset: SIZE - 10, length: 1000 }));
    assert.ok(tail.equals(content.subarray(SIZE - 10)), "a range past the end is truncated");
  });

  test("stopping a download early cancels it without error", async (ctx) => {
    let chunks = 0;
    for await (const c of downloadSnapshot(ctx.client, { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId })) {
      assert.ok(c.length > 0);
      if (++chunks === 2) break;
    }
    assert.is(chunks, 2);
    // The connection is still usable afterwards.
    const again = await collect(downloadSnapshot(ctx.client, { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId, length: 10 }));
    assert.ok(again.equals(content.subarray(0, 10)));
  });

  test("downloadSnapshotToFile writes a verified file atomically", async (ctx) => {
    const target = join(ctx.dir.path, "restored.bin");
    const snap = await downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId }, target);
    assert.is(snap.sha256, sha(content));
    assert.ok(readFileSync(target).equals(content));
    const part = join(ctx.dir.path, "part.bin");
    await downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId, offset: MiB, length: 100 }, part);
    assert.ok(readFileSync(part).equals(content.subarray(MiB, MiB + 100)));
    assert.not.ok(readdirSync(ctx.dir.path).some((f) => f.endsWith(".part")), "no temp files left");
  });

  test("downloadSnapshotToFile in parallel ranges writes them in order; cancelled halfway it leaves nothing", async (ctx) => {
    const req = { storeId: "s1", snapshotId: ctx.fromFile!.snapshotId };
    const target = join(ctx.dir.path, "ranged.bin");
    const seen: number[] = [];
    await downloadSnapshotToFile(ctx.client, req, target, { parallel: 3, rangeBytes: MiB + 7, onProgress: (n) => seen.push(n) });
    assert.ok(readFileSync(target).equals(content));
    assert.is(seen.at(-1), SIZE);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]), "progress in order");
    const ac = new AbortController();
    const cancelled = join(ctx.dir.path, "cancelled.bin");
    try {
      await downloadSnapshotToFile(ctx.client, req, cancelled, { parallel: 3, rangeBytes: MiB, signal: ac.signal, onProgress: (n) => n >= 4 * MiB && ac.abort() });
      assert.unreachable("expected the cancelled download to fail");
    } catch (e) {
      assert.instance(e, Error);
    }
    assert.not.ok(existsSync(cancelled), "target not created");
    assert.not.ok(readdirSync(ctx.dir.path).some((f) => f.endsWith(".part")), "no temp files left");
  });

  test("a download damaged in transit throws IntegrityError and leaves no file", async (ctx) => {
    const small = await ctx.client.snapshots.createSnapshot({
      storeId: "s1",
      resourceType: "dump",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: content.subarray(0, 2 * MiB + 5) },
    });
    const req = { storeId: "s1", snapshotId: small.snapshot!.snapshotId };
    for (const [mode, check] of [["flip", "sha256"], ["truncate", "size"]] as const) {
      const target = join(ctx.dir.path, `damaged-${mode}.bin`);
      ctx.damage = mode;
      try {
        await downloadSnapshotToFile(ctx.client, req, target);
        assert.unreachable("expected IntegrityError");
      } catch (e) {
        assert.instance(e, IntegrityError);
        const err = e as IntegrityError;
        assert.is(err.check, check);
        assert.is(err.code, Code.DataLoss);
        assert.instance(err, VellumError);
      } finally {
        ctx.damage = undefined;
      }
      assert.not.ok(existsSync(target), `${mode}: target not created`);
    }
    assert.not.ok(readdirSync(ctx.dir.path).some((f) => f.endsWith(".part")), "temp files removed");
  });

  test("a wrong expected_sha256 fails with DATA_LOSS and nothing becomes visible", async (ctx) => {
    const before = await ctx.client.snapshots.listSnapshots({ storeId: "s2" });
    const err = await uploadSnapshot(
      ctx.client,
      { storeId: "s2", resourceType: "dump", snapshotType: SnapshotType.BLOB, expectedSha256: sha(Buffer.from("other")) },
      [content.subarray(0, 3 * MiB)],
    ).catch((e: unknown) => e);
    assert.instance(err, VellumError);
    assert.is((err as VellumError).code, Code.DataLoss);
    assert.ok((err as VellumError).requestId, "request id present");
    const after = await ctx.client.snapshots.listSnapshots({ storeId: "s2" });
    assert.is(after.totalSize, before.totalSize);
  });

  test("a failing source aborts the upload with the source's own error; nothing becomes visible", async (ctx) => {
    const boom = new Error("disk on fire");
    async function* failing() {
      yield content.subarray(0, 2 * MiB);
      throw boom;
    }
    const err = await uploadSnapshot(ctx.client, { storeId: "s3", resourceType: "dump", snapshotType: SnapshotType.BLOB }, failing()).catch(
      (e: unknown) => e,
    );
    assert.is(err, boom);
    const seen = [];
    for await (const s of listSnapshots(ctx.client, { storeId: "s3" })) seen.push(s);
    assert.is(seen.length, 0);
  });

  test("an invalid header fails with INVALID_ARGUMENT and field violations while chunks are still queued", async (ctx) => {
    const err = await uploadSnapshot(ctx.client, { storeId: "no spaces!", resourceType: "dump", snapshotType: SnapshotType.BLOB }, [
      content.subarray(0, 8 * MiB),
    ]).catch((e: unknown) => e);
    assert.instance(err, VellumError);
    const v = err as VellumError;
    assert.is(v.code, Code.InvalidArgument);
    assert.equal(
      v.fieldViolations.map((f) => f.field),
      ["header.store_id"],
    );
    assert.match(v.requestId ?? "", /^[0-9a-f-]{36}$/);
  });

  test("rejects chunk sizes above 4 MiB before sending anything", async (ctx) => {
    const calls = ctx.uploads.length;
    try {
      await uploadSnapshot(ctx.client, { storeId: "s1", resourceType: "x", snapshotType: SnapshotType.BLOB }, [content], {
        chunkSize: 4 * MiB + 1,
      });
      assert.unreachable();
    } catch (e) {
      assert.instance(e, RangeError);
    }
    assert.is(ctx.uploads.length, calls);
  });

  return test;
}

for (const t of NODE_TRANSPORTS) transferSuite(t).run();
