import { test } from "uvu";
import * as assert from "uvu/assert";
import { createApiKeyCache } from "./api-key-cache.js";
import { generateApiKey, hashApiKeySecret, type StoredApiKey } from "./api-key.js";

const record = (keyId: string, over: Partial<StoredApiKey> = {}): StoredApiKey => ({
  keyId,
  name: "k",
  secretHash: hashApiKeySecret(generateApiKey().secret),
  scopes: new Set(["snapshot:read"]),
  stores: "*",
  expiresAt: null,
  revoked: false,
  createdBy: "admin",
  createTime: new Date(0),
  ...over,
});

/** A lookup over a mutable map that counts its reads; `hold` makes reads wait until released. */
function source() {
  const rows = new Map<string, StoredApiKey>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  let open = () => {};
  return {
    rows,
    reads: () => reads,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    lookup: async (id: string) => {
      reads++;
      const row = rows.get(id);
      if (gate) await gate;
      if (id === "broken") throw new Error("database unreachable");
      return row;
    },
  };
}

test("a record is read once and served from memory until its TTL ends", async () => {
  const s = source();
  s.rows.set("a", record("a"));
  let clock = 1_000;
  const cache = createApiKeyCache(s.lookup, { ttlMs: 500, now: () => clock });
  assert.is((await cache.findById("a"))?.keyId, "a");
  s.rows.set("a", record("a", { revoked: true }));
  clock += 499;
  assert.is((await cache.findById("a"))?.revoked, false);
  assert.is(s.reads(), 1);
  clock += 1;
  assert.is((await cache.findById("a"))?.revoked, true, "read again once the TTL is over");
  assert.is(s.reads(), 2);
});

test("invalidate and clear make the next lookup read the source", async () => {
  const s = source();
  s.rows.set("a", record("a"));
  s.rows.set("b", record("b"));
  const cache = createApiKeyCache(s.lookup);
  await cache.findById("a");
  await cache.findById("b");
  s.rows.set("a", record("a", { revoked: true }));
  s.rows.set("b", record("b", { revoked: true }));
  cache.invalidate("a");
  assert.is((await cache.findById("a"))?.revoked, true);
  assert.is((await cache.findById("b"))?.revoked, false, "only the invalidated key is read again");
  cache.clear();
  assert.is((await cache.findById("b"))?.revoked, true);
  assert.is(s.reads(), 4);
});

test("absent keys and failed reads are not cached", async () => {
  const s = source();
  const cache = createApiKeyCache(s.lookup);
  assert.is(await cache.findById("new"), undefined);
  s.rows.set("new", record("new"));
  assert.is((await cache.findById("new"))?.keyId, "new", "a key created after a miss authenticates at once");
  s.rows.set("broken", record("broken"));
  for (let i = 0; i < 2; i++) {
    try {
      await cache.findById("broken");
      assert.unreachable("the read fails");
    } catch (e) {
      assert.match((e as Error).message, "unreachable");
    }
  }
  assert.is(s.reads(), 4);
});

test("concurrent lookups of one key share one read", async () => {
  const s = source();
  s.rows.set("a", record("a"));
  s.hold();
  const cache = createApiKeyCache(s.lookup);
  const all = Promise.all([...Array(20)].map(() => cache.findById("a")));
  s.release();
  assert.ok((await all).every((r) => r?.keyId === "a"));
  assert.is(s.reads(), 1);
});

test("a read in flight when an invalidation arrives is not cached", async () => {
  const s = source();
  s.rows.set("a", record("a"));
  s.hold();
  const cache = createApiKeyCache(s.lookup);
  const early = cache.findById("a");
  await Promise.resolve();
  s.rows.set("a", record("a", { revoked: true }));
  cache.invalidate("a");
  const late = cache.findById("a");
  s.release();
  assert.is((await early)?.revoked, false, "the request that came before the change may see the old record");
  assert.is((await late)?.revoked, true, "a request after the invalidation reads again");
  assert.is((await cache.findById("a"))?.revoked, true, "the stale read was not kept");
  assert.is(s.reads(), 2);
});

test("the cache holds at most maxEntries records, dropping the oldest", async () => {
  const s = source();
  for (const id of ["a", "b", "c"]) s.rows.set(id, record(id));
  const cache = createApiKeyCache(s.lookup, { maxEntries: 2 });
  await cache.findById("a");
  await cache.findById("b");
  await cache.findById("c");
  assert.is(s.reads(), 3);
  await cache.findById("c");
  await cache.findById("b");
  assert.is(s.reads(), 3, "b and c are held");
  await cache.findById("a");
  assert.is(s.reads(), 4, "a was dropped");
});

test.run();
