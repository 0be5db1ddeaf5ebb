import { sql } from "drizzle-orm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { DomainError } from "../../domain/errors.js";
import { openDatabase } from "../db/client.js";
import { createIngestLeases } from "./ingest-leases.js";

const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 4 });
const { db } = database;
const leaseRows = async (store: string) =>
  (await db.execute<{ start: string; renew: string }>(sql`select start_time as start, renew_time as renew from ingest_leases where store_id = ${store}`)).map((r) => ({
    start: new Date(r.start),
    renew: new Date(r.renew),
  }));

test("a held lease is renewed while its work runs, sets the store's floor and is gone afterwards", async () => {
  const leases = createIngestLeases(db, { renewMs: 40 });
  assert.is(await leases.floor("a"), undefined);
  const result = await leases.hold("a", async (lease) => {
    const [first] = await leaseRows("a");
    assert.is((await leases.floor("a"))?.getTime(), first.start.getTime());
    await new Promise((r) => setTimeout(r, 250));
    const [now] = await leaseRows("a");
    assert.ok(now.renew.getTime() > first.renew.getTime(), "renewed");
    await db.transaction((tx) => lease.fence(tx)); // still held: passes
    return 42;
  });
  assert.is(result, 42);
  assert.is((await leaseRows("a")).length, 0, "released");
  assert.is(await leases.floor("a"), undefined);
});

test("a lease not renewed for staleMs is dropped, and its holder can no longer commit", async () => {
  const leases = createIngestLeases(db, { renewMs: 60_000, staleMs: 60_000 });
  await leases.hold("b", async (lease) => {
    await leases.hold("c", async () => {
      await db.execute(sql`update ingest_leases set renew_time = now() - interval '2 minutes' where store_id = 'b'`);
      assert.equal(await leases.dropStale(), { dropped: 1, stores: ["b"] }, "only the stale one");
      assert.is((await leaseRows("c")).length, 1);
    });
    const err = await db.transaction((tx) => lease.fence(tx)).then(() => undefined, (e: unknown) => e);
    assert.instance(err, DomainError);
    assert.is((err as DomainError).name, "Aborted");
  });
});

test("floors are per store, and a fenced commit keeps its lease until it ends", async () => {
  const leases = createIngestLeases(db, { renewMs: 60_000, staleMs: 60_000 });
  await leases.hold("d", async (lease) => {
    assert.ok((await leases.floor("d")) instanceof Date);
    assert.is(await leases.floor("e"), undefined, "another store's lease does not pin this one");
    await db.execute(sql`update ingest_leases set renew_time = now() - interval '2 minutes' where store_id = 'd'`);
    let dropped: number | undefined;
    await db.transaction(async (tx) => {
      await lease.fence(tx); // the commit that saves what the lease protects
      const drop = leases.dropStale().then((r) => (dropped = r.dropped));
      await new Promise((r) => setTimeout(r, 300));
      assert.is(dropped, undefined, "dropping the lease waits for the commit");
      void drop;
    });
    for (let i = 0; i < 50 && dropped === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(dropped, 1, "then the stale lease goes");
  });
});

test("a lease whose work failed is marked stale at once, and dropping it names its store", async () => {
  const leases = createIngestLeases(db, { renewMs: 40, staleMs: 60_000 });
  const err = await leases
    .hold("f", async () => {
      await new Promise((r) => setTimeout(r, 120));
      throw new Error("pack indexing failed");
    })
    .then(() => undefined, (e: unknown) => e);
  assert.is((err as Error).message, "pack indexing failed", "the operation's error is passed on");
  const [left] = await leaseRows("f");
  assert.ok(left, "the lease is left in place");
  assert.ok(left.renew.getTime() < Date.now() - 60_000, "as stale");
  await new Promise((r) => setTimeout(r, 150));
  assert.is((await leaseRows("f"))[0].renew.getTime(), left.renew.getTime(), "and no longer renewed");
  assert.equal(await leases.dropStale(), { dropped: 1, stores: ["f"] });
  assert.is((await leaseRows("f")).length, 0);
});

test.after(async () => {
  await database.close();
  await tdb.drop();
});

test.run();
