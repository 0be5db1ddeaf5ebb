import { Code } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { toConnectError } from "../../rpc/errors.js";
import { DB_RECONNECT_MAX_DELAY_MS, openDatabase, reconnectDelaySeconds } from "./client.js";
import { isDatabaseUnavailable } from "./db-errors.js";

const tdb = await createTestDatabase();
const ACQUIRE_MS = 300;
const database = openDatabase(tdb.url, { max: 1, acquireTimeoutMs: ACQUIRE_MS });
const { db } = database;
await db.execute(sql`create table gate_probe (n int)`);

test.after(async () => {
  await database.close();
  await tdb.drop();
});

/** The code of a postgres.js or gate error, also when drizzle wrapped it (as `cause`). */
const codeOf = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code;
};

/** Holds the only pool slot (a transaction) until the returned function is called. */
async function holdSlot(): Promise<{ release: () => void; done: Promise<unknown> }> {
  let release!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const done = db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    entered();
    await new Promise<void>((r) => (release = r));
  });
  await inside;
  return { release, done };
}

test("an operation that gets no pool slot in time fails as unavailable (UNAVAILABLE) and never runs", async () => {
  const held = await holdSlot();
  const started = Date.now();
  const err = await db.execute(sql`insert into gate_probe values (1)`).then(
    () => undefined,
    (e: unknown) => e,
  );
  const waited = Date.now() - started;
  held.release();
  await held.done;
  assert.ok(err, "the insert failed");
  assert.is(codeOf(err), "POOL_ACQUIRE_TIMEOUT");
  assert.ok(waited >= ACQUIRE_MS - 20 && waited < ACQUIRE_MS + 5000, `waited ${waited} ms`);
  assert.ok(isDatabaseUnavailable(err));
  assert.is(toConnectError(err).error.code, Code.Unavailable);
  await new Promise((r) => setTimeout(r, 100));
  const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from gate_probe`);
  assert.is(row.n, 0, "the timed-out insert never ran");
});

test("a waiting operation runs as soon as the slot frees; a timed-out waiter leaks no slot", async () => {
  const held = await holdSlot();
  const waiting = db.execute<{ v: number }>(sql`select 7 as v`);
  setTimeout(() => held.release(), 50);
  const [row] = await waiting;
  assert.is(row.v, 7);
  await held.done;
  // After the timeout of the first test, the single slot still serves many operations in turn.
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => db.execute<{ v: number }>(sql`select ${i}::int as v`)));
  assert.equal(
    all.map((r) => r[0].v),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

test("query errors and transaction results pass through the gate unchanged", async () => {
  const err = await db.execute(sql`select * from no_such_table`).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err);
  assert.not.ok(isDatabaseUnavailable(err));
  assert.is(codeOf(err), "42P01");
  const out = await db.transaction(async (tx) => {
    await tx.execute(sql`insert into gate_probe values (2)`);
    return "committed";
  });
  assert.is(out, "committed");
  const rows = await db.select({ n: sql<number>`n` }).from(sql`gate_probe`);
  assert.equal(rows, [{ n: 2 }]);
});

test("reconnect pauses start short and stay under the maximum", () => {
  assert.ok(reconnectDelaySeconds(1) * 1000 <= 50);
  for (let attempt = 0; attempt < 60; attempt++) {
    const ms = reconnectDelaySeconds(attempt) * 1000;
    assert.ok(ms > 0 && ms <= DB_RECONNECT_MAX_DELAY_MS, `attempt ${attempt}: ${ms} ms`);
  }
  assert.ok(reconnectDelaySeconds(40) * 1000 >= DB_RECONNECT_MAX_DELAY_MS / 2);
});

test.run();
