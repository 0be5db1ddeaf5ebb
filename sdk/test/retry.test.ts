/**
 * Retries against the real server. One real network condition: the server's port refuses
 * connections (UNAVAILABLE) until a TCP forwarder to the server starts listening on it. Other
 * failures are injected by a transport interceptor standing in for the network (it fails chosen
 * attempts, before or after the real server handled them); the server itself is never mocked.
 */
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import net from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  createVellumClient,
  listSnapshots,
  SnapshotType,
  uploadSnapshot,
  VellumError,
  type RetryEvent,
  type VellumClient,
  type VellumClientOptions,
} from "../src/index.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

const MISSING = "01900000-0000-7000-8000-000000000000";

/** What the injecting interceptor does to calls of `method`: attempts 1..failures fail with `error()`. */
interface Fault {
  method: string;
  failures: number;
  error: () => ConnectError;
  /** Let the server handle the call first and drop its response (a lost reply). */
  afterServer?: boolean;
}

interface Ctx {
  srv: SdkServer;
  fault?: Fault;
  /** Calls of the faulted method that reached the interceptor. */
  attempts: number;
  events: RetryEvent[];
  client(opts?: VellumClientOptions): VellumClient;
}

const unavailable = () => new ConnectError("injected: connection lost", Code.Unavailable);
const withRetryInfo = (ms: number) => () =>
  new ConnectError("injected: slow down", Code.ResourceExhausted, undefined, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 }) }) },
  ]);

function injector(ctx: Ctx): Interceptor {
  return (next) => async (req) => {
    const f = ctx.fault;
    if (!f || req.method.name !== f.method) return next(req);
    const attempt = ++ctx.attempts;
    if (attempt > f.failures) return next(req);
    if (!f.afterServer) throw f.error();
    const res = await next(req);
    if (!res.stream) throw f.error();
    return res;
  };
}

const test = suite<Ctx>("sdk retries (gRPC over HTTP/2, real server)", {} as Ctx);

test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
  const transport = NODE_TRANSPORTS[0].make(ctx.srv.baseUrl, [injector(ctx)]);
  ctx.client = (opts = {}) =>
    createVellumClient(transport, {
      ...opts,
      retry: opts.retry === false ? false : { initialDelayMs: 5, maxDelayMs: 2000, onRetry: (e) => ctx.events.push(e), ...opts.retry },
    });
});
test.before.each((ctx) => {
  ctx.fault = undefined;
  ctx.attempts = 0;
  ctx.events = [];
});
test.after(async (ctx) => {
  await ctx.srv?.close();
});

async function failure(p: Promise<unknown>): Promise<VellumError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, VellumError);
    return e as VellumError;
  }
  throw new Error("expected the call to fail");
}

test("a RetryInfo delay from the error is waited exactly, then the read succeeds", async (ctx) => {
  ctx.fault = { method: "ListSnapshots", failures: 2, error: withRetryInfo(120) };
  const res = await ctx.client().snapshots.listSnapshots({ storeId: "s" });
  assert.is(res.totalSize, 0);
  assert.is(ctx.attempts, 3);
  assert.equal(
    ctx.events.map((e) => [e.attempt, e.delayMs, e.error.code, e.method]),
    [
      [1, 120, Code.ResourceExhausted, "vellum.v1.SnapshotService/ListSnapshots"],
      [2, 120, Code.ResourceExhausted, "vellum.v1.SnapshotService/ListSnapshots"],
    ],
  );
});

test("backoff grows exponentially within the jitter band and stops after maxAttempts", async (ctx) => {
  ctx.fault = { method: "GetSnapshot", failures: 100, error: unavailable };
  const client = ctx.client({ retry: { maxAttempts: 4, initialDelayMs: 20, multiplier: 3, jitter: 0.5 } });
  const err = await failure(client.snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }));
  assert.is(err.code, Code.Unavailable);
  assert.is(ctx.attempts, 4);
  const delays = ctx.events.map((e) => e.delayMs);
  assert.is(delays.length, 3);
  [20, 60, 180].forEach((base, i) => assert.ok(delays[i] >= base / 2 && delays[i] <= base, `delay ${i}: ${delays[i]} in [${base / 2}, ${base}]`));
});

test("DEADLINE_EXCEEDED is retried; NOT_FOUND from the server is not", async (ctx) => {
  ctx.fault = { method: "GetSnapshot", failures: 1, error: () => new ConnectError("injected", Code.DeadlineExceeded) };
  const err = await failure(ctx.client().snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }));
  assert.is(err.code, Code.NotFound, "the retry reached the server");
  assert.is(ctx.attempts, 2, "one retry after DEADLINE_EXCEEDED, none after NOT_FOUND");
});

test("a non-idempotent call without idempotency_key is never retried (the server did create it)", async (ctx) => {
  ctx.fault = { method: "CreateSnapshot", failures: 1, error: unavailable, afterServer: true };
  const err = await failure(
    ctx.client().snapshots.createSnapshot({
      storeId: "nokey",
      resourceType: "cfg",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: new Uint8Array([1]) },
    }),
  );
  assert.is(err.code, Code.Unavailable);
  assert.is(ctx.attempts, 1);
  const listed = await ctx.client().snapshots.listSnapshots({ storeId: "nokey" });
  assert.is(listed.totalSize, 1, "the lost reply hid a real creation: retrying blindly would duplicate it");
});

test("with an idempotency_key a lost reply is retried and the server replays the same snapshot", async (ctx) => {
  ctx.fault = { method: "CreateSnapshot", failures: 1, error: unavailable, afterServer: true };
  const res = await ctx.client().snapshots.createSnapshot({
    storeId: "keyed",
    resourceType: "cfg",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: new Uint8Array([1, 2]) },
    idempotencyKey: "create-cfg-1",
  });
  assert.is(ctx.attempts, 2);
  const all = [];
  for await (const s of listSnapshots(ctx.client(), { storeId: "keyed" })) all.push(s.snapshotId);
  assert.equal(all, [res.snapshot!.snapshotId], "exactly one snapshot, the replayed one");
});

test("client-streaming UploadSnapshot is never retried", async (ctx) => {
  ctx.fault = { method: "UploadSnapshot", failures: 1, error: unavailable };
  const err = await failure(uploadSnapshot(ctx.client(), { storeId: "s", resourceType: "x", snapshotType: SnapshotType.BLOB }, [new Uint8Array(10)]));
  assert.is(err.code, Code.Unavailable);
  assert.is(ctx.attempts, 1);
});

test("retry: false disables retries", async (ctx) => {
  ctx.fault = { method: "GetSnapshot", failures: 1, error: unavailable };
  const err = await failure(ctx.client({ retry: false }).snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }));
  assert.is(err.code, Code.Unavailable);
  assert.is(ctx.attempts, 1);
});

test("a requested delay above maxDelayMs is not waited; the error exposes retryDelayMs", async (ctx) => {
  ctx.fault = { method: "GetSnapshot", failures: 1, error: withRetryInfo(60_000) };
  const err = await failure(ctx.client().snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }));
  assert.is(err.code, Code.ResourceExhausted);
  assert.is(err.retryDelayMs, 60_000);
  assert.is(ctx.attempts, 1);
});

test("aborting the signal during a backoff wait cancels the call", async (ctx) => {
  ctx.fault = { method: "GetSnapshot", failures: 100, error: withRetryInfo(1500) };
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const started = Date.now();
  const err = await failure(ctx.client().snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }, { signal: ac.signal }));
  assert.is(err.code, Code.Canceled);
  assert.is(ctx.attempts, 1);
  assert.ok(Date.now() - started < 1500, "did not wait out the backoff");
});

for (const t of NODE_TRANSPORTS) {
  test(`${t.name}: connection refused is retried until the server is reachable`, async (ctx) => {
    const port = await freePort();
    let forwarder: net.Server | undefined;
    const client = createVellumClient(t.make(`http://127.0.0.1:${port}`), {
      retry: {
        maxAttempts: 8,
        initialDelayMs: 50,
        onRetry: (e) => {
          ctx.events.push(e);
          forwarder ??= forward(port, ctx.srv.server.port);
        },
      },
    });
    try {
      const res = await client.snapshots.listSnapshots({ storeId: "s" });
      assert.is(res.totalSize, 0);
      assert.ok(ctx.events.length >= 1);
      assert.ok(ctx.events.every((e) => e.error.code === Code.Unavailable));
    } finally {
      await new Promise((r) => (forwarder ? forwarder.close(r) : r(undefined)));
    }
  });
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts forwarding connections on `port` to the server's port, byte for byte. */
function forward(port: number, target: number): net.Server {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  server.listen(port, "127.0.0.1");
  return server;
}

test.run();
