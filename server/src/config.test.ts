import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "./config.js";

const load = (env: Record<string, string>) => loadConfig(env, "/tmp");

test("VELLUM_TRUSTED_PROXIES: none by default; comma-separated addresses and CIDRs; anything else is refused", () => {
  assert.equal(load({}).proxies, { trusted: [], header: "x-forwarded-for" });
  assert.equal(load({ VELLUM_TRUSTED_PROXIES: " 10.0.0.0/8, 192.0.2.1 ,fd00::/8" }).proxies.trusted, ["10.0.0.0/8", "192.0.2.1", "fd00::/8"]);
  for (const bad of ["10.0.0.0/33", "proxy.internal", "10.0.0.0/8;192.0.2.1"]) {
    assert.throws(() => load({ VELLUM_TRUSTED_PROXIES: bad }), (e: unknown) => e instanceof ConfigError && /VELLUM_TRUSTED_PROXIES/.test(e.message), bad);
  }
});

test("VELLUM_FORWARDED_HEADER: x-forwarded-for (default) or forwarded", () => {
  assert.is(load({ VELLUM_FORWARDED_HEADER: "Forwarded" }).proxies.header, "forwarded");
  assert.throws(() => load({ VELLUM_FORWARDED_HEADER: "x-real-ip" }), (e: unknown) => e instanceof ConfigError && /VELLUM_FORWARDED_HEADER/.test(e.message));
});

test("VELLUM_METRICS: on by default; on or off in any case; anything else is refused", () => {
  assert.is(load({}).metrics, true);
  assert.is(load({ VELLUM_METRICS: "" }).metrics, true);
  assert.is(load({ VELLUM_METRICS: "on" }).metrics, true);
  assert.is(load({ VELLUM_METRICS: " OFF " }).metrics, false);
  assert.is(load({ VELLUM_METRICS: "Off" }).metrics, false);
  for (const bad of ["0", "false", "yes", "disabled"]) {
    assert.throws(() => load({ VELLUM_METRICS: bad }), (e: unknown) => e instanceof ConfigError && e.message === "VELLUM_METRICS must be on or off", bad);
  }
});

test("VELLUM_DB_CONNECT_TIMEOUT_MS and VELLUM_DB_ACQUIRE_TIMEOUT_MS: 5 s and 10 s by default, bounded", () => {
  assert.is(load({}).dbConnectTimeoutMs, 5000);
  assert.is(load({}).dbAcquireTimeoutMs, 10_000);
  const set = load({ VELLUM_DB_CONNECT_TIMEOUT_MS: "2500", VELLUM_DB_ACQUIRE_TIMEOUT_MS: "750" });
  assert.equal([set.dbConnectTimeoutMs, set.dbAcquireTimeoutMs], [2500, 750]);
  for (const [name, bad] of [["VELLUM_DB_CONNECT_TIMEOUT_MS", "0"], ["VELLUM_DB_ACQUIRE_TIMEOUT_MS", "soon"], ["VELLUM_DB_ACQUIRE_TIMEOUT_MS", "999999999"]]) {
    assert.throws(() => load({ [name]: bad }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), `${name}=${bad}`);
  }
});

test("events and webhooks: defaults, durations and bounds", () => {
  assert.equal(load({}).events, {
    retentionMs: 7 * 86_400_000,
    heartbeatMs: 15_000,
    maxWatchers: 16,
    webhookRetryBaseMs: 5_000,
    webhookMaxAttempts: 15,
    webhookTimeoutMs: 10_000,
    webhookConcurrency: 8,
  });
  assert.is(load({ VELLUM_EVENT_RETENTION: "36h" }).events.retentionMs, 36 * 3600_000);
  assert.is(load({ VELLUM_WEBHOOK_CONCURRENCY: "0" }).events.webhookConcurrency, 0);
  for (const [name, bad] of [["VELLUM_EVENT_RETENTION", "0"], ["VELLUM_EVENT_RETENTION", "forever"], ["VELLUM_WEBHOOK_MAX_ATTEMPTS", "0"], ["VELLUM_WEBHOOK_TIMEOUT_MS", "5"], ["VELLUM_EVENT_MAX_WATCHERS", "-1"]]) {
    assert.throws(() => load({ [name]: bad }), (e: unknown) => e instanceof ConfigError && e.message.includes(name) && !e.message.includes(`"${bad}"`), `${name}=${bad}`);
  }
});

test.run();
