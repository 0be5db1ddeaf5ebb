import { sql } from "drizzle-orm";
import postgres from "postgres";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { openDatabase } from "./client.js";
import { isDatabaseUnavailable } from "./db-errors.js";

/**
 * The patched postgres.js (patches/postgres+3.4.9.patch): when a transaction's connection dies,
 * the transaction's callback may still be running; nothing it sends afterwards may run on the
 * connection the pool reopens (outside any transaction), and no error of the dead backend may fail
 * the reopened connection's first query.
 */
const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 1 });
const { db } = database;
const admin = postgres(tdb.url, { max: 1, onnotice: () => {} });
await db.execute(sql`create table tx_probe (n int)`);

test.after(async () => {
  await admin.end({ timeout: 5 });
  await database.close();
  await tdb.drop();
});

test("a query of a transaction whose backend died fails, and never runs on the reopened connection", async () => {
  let pid = 0;
  let proceed!: () => void;
  const paused = new Promise<void>((r) => (proceed = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let late: unknown = "not reached";
  const tx = db.transaction(async (t) => {
    [{ pid }] = await t.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    entered();
    await paused;
    late = await t.execute(sql`insert into tx_probe values (1)`).then(
      () => "ran",
      (e: unknown) => e,
    );
  });
  const txDone = tx.then(
    () => undefined,
    (e: unknown) => e,
  );
  await inside;
  await admin`select pg_terminate_backend(${pid})`;
  const txErr = await txDone;
  assert.ok(isDatabaseUnavailable(txErr), `the transaction fails as unavailable: ${String(txErr)}`);

  // The pool reopens its only connection for the next query; it answers correctly.
  const [row] = await db.execute<{ v: number }>(sql`select 5 as v`);
  assert.is(row.v, 5);

  proceed();
  for (let i = 0; i < 100 && late === "not reached"; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(late instanceof Error, `the late insert failed: ${String(late)}`);
  assert.ok(isDatabaseUnavailable(late), String(late));
  const [count] = await db.execute<{ n: number }>(sql`select count(*)::int as n from tx_probe`);
  assert.is(count.n, 0, "the late insert never ran");
  const [again] = await db.execute<{ v: number }>(sql`select 6 as v`);
  assert.is(again.v, 6);
});

test.run();
