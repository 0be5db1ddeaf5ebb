/**
 * Downloads that take whole chunks as zstd frames (accept_frames) against the real server, over
 * gRPC (HTTP/2) and Connect (HTTP/1.1): byte-exact whole and ranged downloads of compressible
 * content mixed with incompressible content, plain and encrypted; what goes over the wire; and
 * frames damaged, reshaped or mislabelled in transit, which must fail with IntegrityError and leave
 * no file.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "../../server/test/support/test-server.js";
import {
  Code,
  createFrameDecoder,
  createVellumClient,
  downloadSnapshot,
  downloadSnapshotTo,
  downloadSnapshotToFile,
  IntegrityError,
  SnapshotType,
  uploadSnapshot,
  type VellumClient,
} from "../src/node.js";
import { patternBytes } from "./support/pattern.js";
import { collect, NODE_TRANSPORTS, startSdkServer, type NamedTransport, type SdkServer } from "./support/sdk-server.js";

const MiB = 1024 * 1024;

/** About 6 MiB of JSON lines (zstd chunks) with 1 MiB of random bytes in the middle (raw chunks). */
function mixedContent(): Buffer {
  const lines: string[] = [];
  for (let i = 0; lines.length < 40_000; i++) lines.push(JSON.stringify({ sku: `SKU-${i}`, price: (i * 37) % 9973, tags: ["oak", "linen", i % 7 ? "eco" : "premium"] }));
  const text = Buffer.from(lines.join("\n"));
  const half = Math.floor(text.length / 2);
  return Buffer.concat([text.subarray(0, half), Buffer.from(patternBytes(MiB, 7)), text.subarray(half)]);
}

const content = mixedContent();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

type Tamper = "frame-byte" | "digest" | "size" | "lengths";

interface Ctx {
  srv: SdkServer;
  client: VellumClient;
  dir: { path: string; remove(): void };
  plainId: string;
  encryptedId: string;
  /** Per DownloadSnapshot call since the last reset: whether it asked for frames, and its messages. */
  calls: { acceptFrames: boolean; frameMessages: number; frameBytes: number; chunkMessages: number }[];
  tamper?: Tamper;
  /** Clears accept_frames on the way out: a server that predates the field. */
  dropAccept?: boolean;
}

interface DownloadMsg {
  chunk: Uint8Array;
  frames: Uint8Array;
  frameLengths: number[];
  frameSizes: number[];
  frameDigests: Uint8Array;
}

/** Changes the first frames message as `how` says. */
function tamperWith(m: DownloadMsg, how: Tamper): void {
  if (how === "frame-byte") m.frames = Uint8Array.from(m.frames, (b, i) => (i === m.frames.length - 9 ? b ^ 0x10 : b));
  else if (how === "digest") m.frameDigests = Uint8Array.from(m.frameDigests, (b, i) => (i === 0 ? b ^ 1 : b));
  else if (how === "size") m.frameSizes = m.frameSizes.map((s, i) => (i === 0 ? s + 1 : s));
  else m.frameLengths = m.frameLengths.slice(1);
}

function observe(ctx: Ctx): Interceptor {
  return (next) => async (req) => {
    if (req.method.name !== "DownloadSnapshot" || !req.stream) return next(req);
    const out = req.message as AsyncIterable<{ acceptFrames: boolean }>;
    const call = { acceptFrames: false, frameMessages: 0, frameBytes: 0, chunkMessages: 0 };
    const sent = async function* () {
      for await (const m of out) {
        call.acceptFrames = m.acceptFrames;
        yield ctx.dropAccept ? { ...m, acceptFrames: false } : m;
      }
    };
    ctx.calls.push(call);
    const res = await next({ ...req, message: sent() as typeof req.message });
    if (!res.stream) return res;
    const tamper = ctx.tamper;
    const seen = async function* (it: AsyncIterable<unknown>) {
      let tampered = false;
      for await (const raw of it) {
        const m = raw as DownloadMsg;
        if (m.frameLengths.length > 0) {
          call.frameMessages++;
          call.frameBytes += m.frames.length;
          if (tamper && !tampered) {
            tamperWith(m, tamper);
            tampered = true;
          }
        } else if (m.chunk.length > 0) call.chunkMessages++;
        yield m;
      }
    };
    return { ...res, message: seen(res.message) as typeof res.message };
  };
}

function framesSuite(t: NamedTransport) {
  const test = suite<Ctx>(`sdk downloads with zstd frames: ${t.name}`, {} as Ctx);

  test.before(async (ctx) => {
    ctx.calls = [];
    ctx.srv = await startSdkServer();
    ctx.client = createVellumClient(t.make(ctx.srv.baseUrl, [observe(ctx)]));
    ctx.dir = tempDir("vellum-sdk-frames-");
    const header = { storeId: "s1", resourceType: "catalog", snapshotType: SnapshotType.BLOB };
    ctx.plainId = (await uploadSnapshot(ctx.client, header, content)).snapshotId;
    ctx.encryptedId = (await uploadSnapshot(ctx.client, { ...header, encrypt: true }, content)).snapshotId;
  });
  test.after(async (ctx) => {
    await ctx.srv?.close();
    ctx.dir?.remove();
  });
  test.before.each((ctx) => {
    ctx.calls = [];
    ctx.tamper = undefined;
    ctx.dropAccept = false;
  });

  test("downloadSnapshotToFile takes compressible chunks as frames and writes the content byte for byte, plain and encrypted", async (ctx) => {
    for (const snapshotId of [ctx.plainId, ctx.encryptedId]) {
      const target = join(ctx.dir.path, `whole-${snapshotId}.bin`);
      const snap = await downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId }, target, { rangeBytes: 2 * MiB + 3 });
      assert.is(snap.sha256, sha(content));
      assert.ok(readFileSync(target).equals(content), "byte-exact");
      const frames = ctx.calls.reduce((n, c) => n + c.frameMessages, 0);
      const frameBytes = ctx.calls.reduce((n, c) => n + c.frameBytes, 0);
      const chunks = ctx.calls.reduce((n, c) => n + c.chunkMessages, 0);
      assert.ok(frames > 0, "frames were sent");
      assert.ok(chunks > 0, "the random middle came as plaintext");
      assert.ok(frameBytes < (content.length - MiB) / 3, `frames are far smaller than the text they hold: ${frameBytes} bytes`);
      ctx.calls = [];
    }
  });

  test("ranges that cut chunks anywhere come out byte for byte, through every Node helper", async (ctx) => {
    const id = { storeId: "s1", snapshotId: ctx.encryptedId };
    const ranges = [
      [1, 100],
      [12_345, 3 * MiB + 17],
      [content.length - 70_001, 70_001],
      [content.length - 1, 10],
    ];
    for (const [offset, length] of ranges) {
      const want = content.subarray(offset, offset + length);
      const viaDecoder = await collect(downloadSnapshot(ctx.client, { ...id, offset, length }, { frames: createFrameDecoder({ reuse: false }) }));
      assert.ok(viaDecoder.equals(want), `downloadSnapshot ${offset}+${length}`);
      const sink = new PassThrough();
      const parts: Buffer[] = [];
      sink.on("data", (b: Buffer) => parts.push(b));
      await downloadSnapshotTo(ctx.client, { ...id, offset, length }, sink);
      assert.ok(Buffer.concat(parts).equals(want), `downloadSnapshotTo ${offset}+${length}`);
    }
    assert.ok(ctx.calls.some((c) => c.frameMessages > 0), "some of the ranges held whole compressible chunks");
    const target = join(ctx.dir.path, "small-ranges.bin");
    await downloadSnapshotToFile(ctx.client, id, target, { parallel: 3, rangeBytes: 300_007 });
    assert.ok(readFileSync(target).equals(content), "many small ranges, each cutting chunks at both ends");
  });

  test("twenty frames downloads at once all come out byte for byte; one cancelled halfway leaves no file and the others finish", async (ctx) => {
    const ac = new AbortController();
    const targets = Array.from({ length: 20 }, (_, i) => join(ctx.dir.path, `many-${i}.bin`));
    const results = await Promise.allSettled(
      targets.map((target, i) =>
        downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId: i % 2 ? ctx.plainId : ctx.encryptedId }, target, {
          rangeBytes: MiB,
          ...(i === 7 ? { signal: ac.signal, onProgress: (n: number) => n >= content.length / 2 && ac.abort() } : {}),
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i === 7) {
        assert.is(r.status, "rejected", "the cancelled one fails");
        assert.not.ok(existsSync(targets[i]), "and leaves no file");
      } else {
        assert.is(r.status, "fulfilled", `download ${i}: ${r.status === "rejected" ? String(r.reason) : ""}`);
        assert.ok(readFileSync(targets[i]).equals(content), `download ${i} is byte-exact`);
      }
    });
    assert.ok(ctx.calls.some((c) => c.frameMessages > 0), "they took frames");
    assert.not.ok(readdirSync(ctx.dir.path).some((f) => f.endsWith(".part")), "no temp files left");
  });

  test("frames: false, a browser-style download and a server that ignores accept_frames all take plaintext", async (ctx) => {
    const id = { storeId: "s1", snapshotId: ctx.plainId };
    await downloadSnapshotToFile(ctx.client, id, join(ctx.dir.path, "off.bin"), { frames: false });
    assert.ok((await collect(downloadSnapshot(ctx.client, id))).equals(content));
    assert.equal(ctx.calls.map((c) => c.acceptFrames), [false, false], "neither asked for frames");
    assert.ok(ctx.calls.every((c) => c.frameMessages === 0 && c.chunkMessages > 0));
    ctx.calls = [];
    ctx.dropAccept = true;
    const target = join(ctx.dir.path, "old-server.bin");
    await downloadSnapshotToFile(ctx.client, id, target);
    assert.ok(readFileSync(target).equals(content));
    assert.ok(ctx.calls.length > 0 && ctx.calls.every((c) => c.acceptFrames && c.frameMessages === 0), "asked, and got plaintext");
  });

  test("frames damaged or mislabelled in transit fail with IntegrityError and leave no file; ranges check each chunk's digest", async (ctx) => {
    const expected: Record<Tamper, IntegrityError["check"][]> = {
      "frame-byte": ["frame", "sha256"], // a flipped byte either breaks the frame or changes what it decodes to
      digest: ["sha256"],
      size: ["frame"],
      lengths: ["frame"],
    };
    for (const how of ["frame-byte", "size", "lengths"] as const) {
      for (const parallel of [1, 4]) {
        ctx.tamper = how;
        const target = join(ctx.dir.path, `tampered-${how}-${parallel}.bin`);
        try {
          await downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId: ctx.plainId }, target, { parallel });
          assert.unreachable(`${how}: expected IntegrityError`);
        } catch (e) {
          assert.instance(e, IntegrityError, `${how}: ${String(e)}`);
          assert.ok(expected[how].includes((e as IntegrityError).check), `${how}: check ${(e as IntegrityError).check}`);
          assert.is((e as IntegrityError).code, Code.DataLoss);
        }
        assert.not.ok(existsSync(target), `${how}: no target`);
      }
    }
    assert.not.ok(readdirSync(ctx.dir.path).some((f) => f.endsWith(".part")), "temp files removed");
    // A whole download checks the SHA-256 of the content it wrote instead of each chunk's: a wrong
    // digest beside the right bytes does not matter there. A range has no whole-content hash to
    // check, so each chunk's own digest is checked instead.
    ctx.tamper = "digest";
    const whole = join(ctx.dir.path, "digest-whole.bin");
    await downloadSnapshotToFile(ctx.client, { storeId: "s1", snapshotId: ctx.plainId }, whole);
    assert.ok(readFileSync(whole).equals(content), "right bytes, wrong digest: the whole content checks out");
    for (const how of ["digest", "frame-byte"] as const) {
      ctx.tamper = how;
      const sink = new PassThrough();
      sink.resume();
      try {
        await downloadSnapshotTo(ctx.client, { storeId: "s1", snapshotId: ctx.plainId, offset: 1, length: content.length - 2 }, sink);
        assert.unreachable(`range, ${how}: expected IntegrityError`);
      } catch (e) {
        assert.instance(e, IntegrityError, `range, ${how}: ${String(e)}`);
        assert.ok(expected[how].includes((e as IntegrityError).check), `range, ${how}: check ${(e as IntegrityError).check}`);
      }
    }
  });

  return test;
}

for (const t of NODE_TRANSPORTS) framesSuite(t).run();
