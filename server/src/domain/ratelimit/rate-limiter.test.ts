import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { rateLimitHeaders } from "./rate-limit-headers.js";
import { createRateLimiter, type RateLimitKey, type RateLimiterConfig } from "./rate-limiter.js";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const config: RateLimiterConfig = {
  classes: { read: { ratePerSecond: 10, burst: 20 }, write: { ratePerSecond: 1, burst: 5 } },
};
const key = (principalId: string, rateClass: "read" | "write" = "write", storeId = "s1"): RateLimitKey => ({
  principalId,
  storeId,
  rateClass,
});

/** A clock the tests move by hand. */
function manualClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

test("allows up to burst, then denies with retryAfterMs", () => {
  const clock = manualClock();
  const rl = createRateLimiter(config, clock.now);
  for (let i = 5; i >= 1; i--) {
    const r = rl.take(key("a"));
    assert.ok(r.allowed);
    assert.is(r.remaining, i - 1);
    assert.is(r.limit, 5);
  }
  const denied = rl.take(key("a"));
  assert.equal(denied, { allowed: false, remaining: 0, limit: 5, resetMs: 5000, retryAfterMs: 1000 });
});

test("refills at the configured rate and caps at burst", () => {
  const clock = manualClock();
  const rl = createRateLimiter(config, clock.now);
  for (let i = 0; i < 5; i++) rl.take(key("a"));
  clock.advance(999);
  const early = rl.take(key("a"));
  assert.not.ok(early.allowed);
  assert.is(early.retryAfterMs, 1);
  clock.advance(1);
  assert.ok(rl.take(key("a")).allowed);
  clock.advance(3_600_000);
  const full = rl.take(key("a"));
  assert.is(full.remaining, 4);
  assert.is(full.resetMs, 1000);
});

test("a denied take consumes nothing", () => {
  const clock = manualClock();
  const rl = createRateLimiter(config, clock.now);
  for (let i = 0; i < 5; i++) rl.take(key("a"));
  for (let i = 0; i < 10; i++) assert.not.ok(rl.take(key("a")).allowed);
  clock.advance(1000);
  assert.ok(rl.take(key("a")).allowed);
});

test("noisy tenant: exhausting A leaves B (and A's other store and class) untouched", () => {
  const clock = manualClock();
  const rl = createRateLimiter(config, clock.now);
  for (let i = 0; i < 100; i++) rl.take(key("tenant-a"));
  assert.not.ok(rl.take(key("tenant-a")).allowed);
  const b = rl.take(key("tenant-b"));
  assert.ok(b.allowed);
  assert.is(b.remaining, 4);
  assert.ok(rl.take(key("tenant-a", "write", "s2")).allowed);
  assert.is(rl.take(key("tenant-a", "read")).remaining, 19);
});

test("key parts cannot collide through separators", () => {
  const rl = createRateLimiter(config, manualClock().now);
  for (let i = 0; i < 5; i++) rl.take({ principalId: "a:b", storeId: "c", rateClass: "write" });
  assert.ok(rl.take({ principalId: "a", storeId: "b:c", rateClass: "write" }).allowed);
});

test("cost > 1 and invalid costs", () => {
  const rl = createRateLimiter(config, manualClock().now);
  const r = rl.take(key("a"), 3);
  assert.is(r.remaining, 2);
  const denied = rl.take(key("a"), 3);
  assert.not.ok(denied.allowed);
  assert.is(denied.retryAfterMs, 1000);
  assert.throws(() => rl.take(key("a"), 6), RangeError);
  assert.throws(() => rl.take(key("a"), 0), RangeError);
  assert.throws(() => rl.take(key("a"), Number.NaN), RangeError);
});

test("explicit now overrides the clock; time going backwards adds no tokens", () => {
  const rl = createRateLimiter(config, () => {
    throw new Error("clock must not be read when now is given");
  });
  for (let i = 0; i < 5; i++) rl.take(key("a"), 1, T0);
  assert.not.ok(rl.take(key("a"), 1, T0 - 60_000).allowed);
  assert.not.ok(rl.take(key("a"), 1, T0 + 500).allowed);
  assert.ok(rl.take(key("a"), 1, T0 + 1000).allowed);
});

test("consume throws RESOURCE_EXHAUSTED with retryAfterMs", () => {
  const rl = createRateLimiter(config, manualClock().now);
  for (let i = 0; i < 5; i++) rl.consume(key("a"));
  try {
    rl.consume(key("a"));
    assert.unreachable();
  } catch (e) {
    assert.ok(isDomainError(e, "ResourceExhausted"));
    assert.is(e.details.retryAfterMs, 1000);
    assert.is(e.details.reason, "RATE_LIMITED");
    assert.match(e.message, "retry after 1s");
  }
});

test("bounded memory: map never exceeds maxBuckets; least recently used goes first", () => {
  const clock = manualClock();
  const rl = createRateLimiter({ ...config, maxBuckets: 3 }, clock.now);
  for (let i = 0; i < 5; i++) rl.take(key("a"));
  rl.take(key("b"));
  rl.take(key("c"));
  rl.take(key("a"), 1, T0); // touch a: now b is least recently used
  assert.not.ok(rl.take(key("a")).allowed);
  rl.take(key("d")); // evicts b
  assert.is(rl.size(), 3);
  assert.not.ok(rl.take(key("a")).allowed, "a was recently used and must keep its state");
  for (let i = 0; i < 1000; i++) rl.take(key(`t${i}`));
  assert.is(rl.size(), 3);
});

test("idle buckets are evicted once they would be full anyway", () => {
  const clock = manualClock();
  const rl = createRateLimiter(config, clock.now);
  for (let i = 0; i < 50; i++) rl.take(key(`t${i}`, "read"));
  rl.take(key("w"));
  assert.is(rl.size(), 51);
  clock.advance(2000); // read buckets refill in 2 s, write in 5 s: eviction waits for the slowest
  rl.take(key("x"));
  assert.is(rl.size(), 52);
  clock.advance(5000);
  rl.take(key("y"));
  assert.is(rl.size(), 1);
});

test("idle eviction never changes a decision", () => {
  const clock = manualClock();
  const rl = createRateLimiter({ ...config, idleMs: 5000 }, clock.now);
  for (let i = 0; i < 5; i++) rl.take(key("a"));
  clock.advance(5000);
  const after = rl.take(key("a"));
  assert.ok(after.allowed);
  assert.is(after.remaining, 4);
});

test("config validation", () => {
  assert.throws(() => createRateLimiter({ classes: { read: { ratePerSecond: 0, burst: 1 }, write: { ratePerSecond: 1, burst: 1 } } }), /rate/);
  assert.throws(() => createRateLimiter({ classes: { read: { ratePerSecond: 1, burst: 0.5 }, write: { ratePerSecond: 1, burst: 1 } } }), /burst/);
  assert.throws(() => createRateLimiter({ ...config, maxBuckets: 0 }), /maxBuckets/);
});

test("headers: allowed response has limit/remaining/reset, no retry-after", () => {
  const rl = createRateLimiter(config, manualClock().now);
  const r = rl.take(key("a"), 1, T0 + 250);
  assert.equal(rateLimitHeaders(r, T0 + 250), {
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": "4",
    "x-ratelimit-reset": String(Math.ceil((T0 + 1250) / 1000)),
  });
});

test("headers: denied response adds retry-after in whole seconds (at least 1)", () => {
  const rl = createRateLimiter({ classes: { read: { ratePerSecond: 4, burst: 2 }, write: config.classes.write } }, manualClock().now);
  rl.take(key("a", "read"), 1, T0);
  rl.take(key("a", "read"), 1, T0);
  const denied = rl.take(key("a", "read"), 1, T0);
  assert.is(denied.retryAfterMs, 250);
  const h = rateLimitHeaders(denied, T0);
  assert.is(h["retry-after"], "1");
  assert.is(h["x-ratelimit-remaining"], "0");
  assert.is(h["x-ratelimit-reset"], String(T0 / 1000 + 1));
  const slow = createRateLimiter(config, manualClock().now);
  for (let i = 0; i < 5; i++) slow.take(key("a"), 1, T0);
  assert.is(rateLimitHeaders(slow.take(key("a"), 5, T0), T0)["retry-after"], "5");
});

test("property: allowed cost never exceeds burst + rate × elapsed, and a fresh key always passes", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 700 }), cost: fc.integer({ min: 1, max: 5 }) }), { maxLength: 200 }),
      (steps) => {
        const rl = createRateLimiter(config, () => T0);
        let now = T0;
        let allowedCost = 0;
        for (const { dt, cost } of steps) {
          now += dt;
          const r = rl.take(key("a"), cost, now);
          if (r.allowed) allowedCost += cost;
          else assert.ok(r.retryAfterMs > 0 && r.retryAfterMs <= (cost * 1000) / 1);
          assert.ok(r.remaining >= 0 && r.remaining <= 5);
        }
        assert.ok(allowedCost <= 5 + ((now - T0) * 1) / 1000 + 1e-6);
        assert.ok(rl.take(key("other"), 5, now).allowed);
      },
    ),
    { numRuns: 200 },
  );
});

test.run();
