import { Code, ConnectError, createClient, createRouterTransport, type HandlerContext } from "@connectrpc/connect";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { createDeadlineInterceptor, type DeadlineLimits } from "./deadline-interceptor.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with the reason `ctx.signal` aborts with. */
const abortReason = (ctx: HandlerContext) =>
  new Promise<unknown>((resolve) => ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason), { once: true }));

/**
 * A Health service over an in-memory transport with the deadline interceptor. Check waits for
 * `ctx.signal` (or ignores it with `ignoreSignal`) and records the abort reason; Watch sends two
 * messages `streamGapMs` apart unless `ctx.signal` aborts in between.
 */
function harness(limits: DeadlineLimits, opts: { ignoreSignal?: boolean; streamGapMs?: number } = {}) {
  const seen: { reason?: unknown } = {};
  const transport = createRouterTransport(
    (router) =>
      router.service(Health, {
        async check(_req, ctx) {
          const reason = abortReason(ctx).then((r) => (seen.reason = r));
          if (opts.ignoreSignal) await sleep(limits.defaultTimeoutMs * 4);
          else throw await reason;
          return { status: Status.SERVING };
        },
        async *watch(_req, ctx) {
          yield { status: Status.SERVING };
          const woke = await Promise.race([sleep(opts.streamGapMs ?? 0), abortReason(ctx).then((reason) => ({ reason }))]);
          if (woke) throw woke.reason;
          yield { status: Status.NOT_SERVING };
        },
      }),
    { router: { interceptors: [createDeadlineInterceptor(limits)] } },
  );
  return { client: createClient(Health, transport), seen };
}

async function failure(p: Promise<unknown>): Promise<{ err: ConnectError; ms: number }> {
  const start = Date.now();
  try {
    await p;
  } catch (e) {
    return { err: ConnectError.from(e), ms: Date.now() - start };
  }
  throw new Error("expected the call to fail");
}

test("a unary RPC without a client deadline gets the default: ctx.signal aborts with DEADLINE_EXCEEDED", async () => {
  const { client, seen } = harness({ defaultTimeoutMs: 150, maxTimeoutMs: 60_000 });
  const { err, ms } = await failure(client.check({}));
  assert.is(err.code, Code.DeadlineExceeded);
  assert.ok(ms >= 140 && ms < 2000, `ended after ${ms} ms`);
  assert.instance(seen.reason, ConnectError);
  assert.is((seen.reason as ConnectError).code, Code.DeadlineExceeded);
});

test("the call ends at the default deadline even when the handler ignores the signal", async () => {
  const { client } = harness({ defaultTimeoutMs: 150, maxTimeoutMs: 60_000 }, { ignoreSignal: true });
  const { err, ms } = await failure(client.check({}));
  assert.is(err.code, Code.DeadlineExceeded);
  assert.ok(ms < 500, `ended after ${ms} ms`);
});

test("a client deadline replaces the default: a shorter one applies, a longer one is capped at the maximum", async () => {
  // Wide gaps between the deadlines, so a loaded machine's scheduling delays cannot blur them.
  const { client } = harness({ defaultTimeoutMs: 1500, maxTimeoutMs: 400 });
  const shorter = await failure(client.check({}, { timeoutMs: 50 }));
  assert.is(shorter.err.code, Code.DeadlineExceeded);
  assert.ok(shorter.ms < 1400, `shorter deadline ended after ${shorter.ms} ms`);
  const capped = await failure(client.check({}, { timeoutMs: 60_000 }));
  assert.is(capped.err.code, Code.DeadlineExceeded);
  assert.ok(capped.ms >= 390 && capped.ms < 1400, `capped deadline ended after ${capped.ms} ms`);
});

test("streaming RPCs get no default deadline", async () => {
  const { client } = harness({ defaultTimeoutMs: 100, maxTimeoutMs: 60_000 }, { streamGapMs: 400 });
  const statuses: Status[] = [];
  for await (const res of client.watch({})) statuses.push(res.status);
  assert.equal(statuses, [Status.SERVING, Status.NOT_SERVING]);
});

test("a client deadline on a stream is capped at the maximum", async () => {
  const { client } = harness({ defaultTimeoutMs: 100, maxTimeoutMs: 200 }, { streamGapMs: 5_000 });
  const statuses: Status[] = [];
  const { err, ms } = await failure(
    (async () => {
      for await (const res of client.watch({}, { timeoutMs: 60_000 })) statuses.push(res.status);
    })(),
  );
  assert.is(err.code, Code.DeadlineExceeded);
  assert.ok(ms < 3000, `ended after ${ms} ms`);
  assert.equal(statuses, [Status.SERVING]);
});

test.run();
