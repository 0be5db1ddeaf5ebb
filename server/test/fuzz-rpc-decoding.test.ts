import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { create, fromBinary, toBinary, type DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema, Health } from "../../gen/grpc/health/v1/health_pb.js";
import { SERVICES } from "../src/app.js";
import {
  deepAt,
  flippedMessage,
  invalidUtf8,
  invalidUtf8At,
  nestingPaths,
  oversizedAt,
  pathName,
  randomBytes,
  repeatedPaths,
  stringPaths,
  truncatedMessage,
  validMessage,
} from "./support/fuzz-frames.js";
import { callRaw, type Protocol, type RawTarget } from "./support/raw-rpc.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

/**
 * Issue 15 §1: generated malformed requests sent to every RPC of every registered service (the
 * SERVICES registry, so RPCs added later are fuzzed too) over the real server process: gRPC and
 * gRPC-Web framing on HTTP/2, Connect binary on HTTP/1.1 (HTTP/2 for bidi streams, which HTTP/1.1
 * cannot carry). No answer may be INTERNAL, UNKNOWN or missing a status; every RPC logs an
 * undecodable request at debug level; afterwards health answers SERVING and the server's peak RSS
 * stayed under a generous bound.
 */
const RUNS_PER_RPC = Number(process.env.VELLUM_FUZZ_RUNS ?? 12);
/** Set VELLUM_FUZZ_SEED to replay a run; failures name the seed of their RPC. */
const SEED = Number(process.env.VELLUM_FUZZ_SEED ?? Date.now() % 1_000_000_000);
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Generous: the server idles near 200 MiB; every request here is at most ~1.2 MiB. */
const PEAK_RSS_LIMIT_MIB = 512;
const FORBIDDEN = new Set<number | undefined>([Code.Internal, Code.Unknown, undefined]);

type Ctx = { db: TestDatabase; dir: { remove(): void }; server: ServerProcess; h2: http2.ClientHttp2Session; agent: http.Agent; sessionErrors: string[] };
const S = suite<Ctx>("fuzz: every RPC, malformed binary frames");

S.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  const dir = tempDir();
  ctx.dir = dir;
  ctx.server = await startServerProcess({
    DATABASE_URL: ctx.db.url,
    VELLUM_DATA_DIR: dir.path,
    VELLUM_LOG_LEVEL: "debug",
    VELLUM_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    VELLUM_JOB_CONCURRENCY: "1",
    VELLUM_RECLAIM_INTERVAL_MS: "0",
  });
  ctx.sessionErrors = [];
  ctx.h2 = connect(ctx);
  ctx.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
});

S.after(async (ctx) => {
  ctx.h2?.close();
  ctx.agent?.destroy();
  if (ctx.server) {
    ctx.server.child.kill("SIGTERM");
    await ctx.server.exited;
  }
  await ctx.db?.drop();
  ctx.dir?.remove();
});

/** An HTTP/2 session whose errors (a GOAWAY with an error code, a dropped connection) are recorded. */
function connect(ctx: Ctx): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${ctx.server.port}`);
  session.on("error", (e) => ctx.sessionErrors.push(e.message));
  session.on("goaway", (code) => code !== http2.constants.NGHTTP2_NO_ERROR && ctx.sessionErrors.push(`GOAWAY ${code}`));
  return session;
}

const METHODS: DescMethod[] = SERVICES.flatMap((s) => s.methods);
const rpcName = (m: DescMethod) => `${m.parent.typeName}/${m.name}`;
const isClientStream = (m: DescMethod) => m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming";

/** A new HTTP/2 connection, so that one RPC's cancelled streams do not weigh on the next. */
function fresh(ctx: Ctx): void {
  ctx.h2.close();
  ctx.h2 = connect(ctx);
}

/**
 * The protocols each RPC is fuzzed over. Connect goes over HTTP/1.1 except for bidi streams and
 * requests over the message limit: the server answers those before reading the body and closes an
 * HTTP/1.1 connection (http/unread-body.ts), and a client still writing may see only the reset.
 */
function targetsFor(ctx: Ctx, m: DescMethod, bytes = 0): [Protocol, RawTarget][] {
  if (ctx.h2.closed || ctx.h2.destroyed) ctx.h2 = connect(ctx);
  const h2: RawTarget = { h2: ctx.h2 };
  const h1: RawTarget = { h1: { port: ctx.server.port, agent: ctx.agent } };
  return [
    ["grpc", h2],
    ["grpc-web", h2],
    ["connect", m.methodKind === "bidi_streaming" || bytes > MAX_MESSAGE_BYTES ? h2 : h1],
  ];
}

type Frame = { kind: string; message: Uint8Array };

/** Every kind of malformed message this method's input schema allows. */
function malformed(m: DescMethod): fc.Arbitrary<Frame> {
  const input = m.input;
  const kinds: fc.Arbitrary<Frame>[] = [
    randomBytes.map((message) => ({ kind: "random bytes", message })),
    flippedMessage(input).map((message) => ({ kind: "flipped bytes", message })),
    truncatedMessage(input).map((message) => ({ kind: "truncated", message })),
  ];
  const nesting = nestingPaths(input);
  if (nesting.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...nesting), fc.integer({ min: 101, max: 400 })).map(([p, depth]) => ({ kind: `${pathName(p)} nested ${depth}`, message: deepAt(p, depth) })),
    );
  }
  const strings = stringPaths(input);
  if (strings.length) {
    kinds.push(fc.tuple(fc.constantFrom(...strings), invalidUtf8).map(([p, bad]) => ({ kind: `invalid UTF-8 in ${pathName(p)}`, message: invalidUtf8At(p, bad) })));
  }
  const repeated = repeatedPaths(input);
  if (repeated.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...repeated), fc.integer({ min: 1000, max: 200_000 })).map(([p, n]) => ({ kind: `${n} elements in ${pathName(p)}`, message: oversizedAt(p, n) })),
    );
  }
  return fc.oneof(...kinds);
}

/** Sends `messages` and describes the answer when it is forbidden, else returns undefined. */
async function probe(protocol: Protocol, target: RawTarget, m: DescMethod, kind: string, messages: Uint8Array[]): Promise<string | undefined> {
  const res = await callRaw(target, protocol, m, messages);
  if (!FORBIDDEN.has(res.code)) return undefined;
  const last = messages[messages.length - 1]!;
  const hex = Buffer.from(last.subarray(0, 48)).toString("hex");
  return `${rpcName(m)} over ${protocol}: ${kind} -> code ${res.code === undefined ? "none" : Code[res.code]} (HTTP ${res.httpStatus}, ${res.message}); message ${last.length} bytes ${hex}`;
}

S("no INTERNAL, UNKNOWN or missing status for generated malformed frames, on any RPC or protocol", async (ctx) => {
  const failures: string[] = [];
  for (const m of METHODS) {
    fresh(ctx);
    const targets = targetsFor(ctx, m);
    // Client streams: the malformed message comes first, or after a valid one.
    const prefix = isClientStream(m) ? fc.option(validMessage(m.input), { nil: undefined }) : fc.constant(undefined);
    const details = await fc.check(
      fc.asyncProperty(malformed(m), fc.nat(targets.length - 1), prefix, async (frame, t, valid) => {
        const [protocol, target] = targetsFor(ctx, m, frame.message.length)[t]!;
        const problem = await probe(protocol, target, m, frame.kind, valid ? [valid, frame.message] : [frame.message]);
        if (problem) throw new Error(problem);
      }),
      { numRuns: RUNS_PER_RPC, endOnFailure: true, seed: SEED + METHODS.indexOf(m) },
    );
    if (details.failed) failures.push(`${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)} (seed ${details.seed})`);
  }
  assert.equal(failures, []);
});

S("every string field with invalid UTF-8, and every Struct/Value field nested past the limit, answers INVALID_ARGUMENT", async (ctx) => {
  const failures: string[] = [];
  const bad = new Uint8Array([0x61, 0xc3, 0x28, 0xff]);
  for (const m of METHODS) {
    const cases = [
      ...stringPaths(m.input).map((p) => [`invalid UTF-8 in ${pathName(p)}`, invalidUtf8At(p, bad)] as const),
      ...nestingPaths(m.input).map((p) => [`${pathName(p)} nested 120`, deepAt(p, 120)] as const),
    ];
    for (const [i, [kind, message]] of cases.entries()) {
      const [protocol, target] = targetsFor(ctx, m)[i % 3]!;
      const res = await callRaw(target, protocol, m, [message]);
      if (res.code !== Code.InvalidArgument) failures.push(`${rpcName(m)} over ${protocol}: ${kind} -> ${res.code === undefined ? "none" : Code[res.code]} ${res.message}`);
    }
  }
  assert.equal(failures, []);
});

S("every repeated field with many elements answers without INTERNAL", async (ctx) => {
  const failures: string[] = [];
  for (const m of METHODS) {
    for (const [i, p] of repeatedPaths(m.input).entries()) {
      for (const n of [50_000]) {
        const message = oversizedAt(p, n);
        const [protocol, target] = targetsFor(ctx, m, message.length)[i % 3]!;
        const problem = await probe(protocol, target, m, `${n} elements in ${pathName(p)}`, [message]);
        if (problem) failures.push(problem);
      }
    }
  }
  assert.equal(failures, []);
});

S("afterwards: no HTTP/2 session error, health answers SERVING, every RPC logged an undecodable request at debug level, peak RSS stayed bounded", async (ctx) => {
  assert.equal(ctx.sessionErrors, []);
  if (ctx.h2.closed || ctx.h2.destroyed) ctx.h2 = connect(ctx);
  const check = Health.method.check;
  const res = await callRaw({ h2: ctx.h2 }, "grpc", check, [toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema))]);
  assert.is(res.code, 0, res.message);
  assert.is(fromBinary(HealthCheckResponseSchema, res.payloads[0]!).status, HealthCheckResponse_ServingStatus.SERVING);

  const logged = new Set(
    ctx.server.logs
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "request not decoded" && l.level === "debug")
      .map((l) => l.method),
  );
  assert.equal(METHODS.map(rpcName).filter((name) => !logged.has(name)), [], "RPCs without a debug line for an undecodable request");

  const status = readFileSync(`/proc/${ctx.server.child.pid}/status`, "utf8");
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
  console.log(`fuzz: server peak RSS ${peakMiB.toFixed(0)} MiB`);
  assert.ok(peakMiB < PEAK_RSS_LIMIT_MIB, `peak RSS ${peakMiB} MiB`);
});

S.run();
