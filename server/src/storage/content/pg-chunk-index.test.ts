import { sql } from "drizzle-orm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { digestOf } from "../../domain/digest.js";
import { openDatabase } from "../db/client.js";
import type { ChunkLocation } from "../engine/types.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";

const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 2 });
const { db } = database;
const d = (i: number) => digestOf(Buffer.from(`chunk ${i}`));
const loc = (i: number, o: Partial<ChunkLocation> = {}): ChunkLocation => ({ digest: d(i), packId: "a".repeat(32), offset: 8 + i, length: 10, plainSize: 9, codec: "zstd", encrypted: false, ...o });
const hexes = (ds: { toHex(): string }[]) => ds.map((x) => x.toHex());
/** A location with its digest as hex, for deep comparison. */
const flat = (l: ChunkLocation | undefined) => l && { ...l, digest: l.digest.toHex() };

test("findMissing and lookup answer per store over thousands of rows; repeats are reported once", async () => {
  const plain = createPgChunkIndex(db, { encrypted: false });
  await plain.insert("s1", Array.from({ length: 3000 }, (_, i) => loc(i)));
  await plain.insert("s1", [loc(1, { packId: "b".repeat(32) })]); // a second insert of a digest is ignored
  assert.equal(hexes(await plain.findMissing("s1", [d(5), d(3001), d(2999), d(3001), d(3002)])), hexes([d(3001), d(3002)]));
  assert.equal(hexes(await plain.findMissing("s2", [d(5)])), hexes([d(5)]), "another store sees nothing");
  const found = await plain.lookup("s1", [d(1), d(2999), d(4000)]);
  assert.equal([...found.keys()].sort(), hexes([d(1), d(2999)]).sort());
  assert.equal(flat(found.get(d(1).toHex())), flat(loc(1)), "the first location stays; every field round-trips");
  assert.is((await plain.lookup("s2", [d(1)])).size, 0);
});

test("findMissing touches last_seen of what it finds, and an encrypted index only sees encrypted records", async () => {
  const plain = createPgChunkIndex(db, { encrypted: false });
  const enc = createPgChunkIndex(db, { encrypted: true });
  await plain.insert("s3", [loc(1), loc(2)]);
  await enc.insert("s3", [loc(2, { encrypted: true, packId: "c".repeat(32) })]);
  await db.execute(sql`update chunks set last_seen = now() - interval '1 day' where store_id = 's3'`);
  const touched = async () =>
    (await db.execute<{ n: number }>(sql`select count(*)::int as n from chunks where store_id = 's3' and last_seen > now() - interval '1 hour'`))[0].n;
  assert.equal(hexes(await enc.findMissing("s3", [d(1), d(2)])), hexes([d(1)]), "plaintext record 1 does not count");
  assert.is(await touched(), 1, "only the encrypted record it found was touched");
  assert.equal(hexes(await plain.findMissing("s3", [d(1), d(2)])), []);
  assert.is(await touched(), 3, "a plaintext lookup finds, and touches, every copy");
  assert.is((await enc.lookup("s3", [d(1), d(2)])).get(d(2).toHex())!.packId, "c".repeat(32));
  assert.is((await plain.lookup("s3", [d(2)])).get(d(2).toHex())!.encrypted, true, "the encrypted copy wins for a reader that can read both");
});

test("lookupAndTouch answers like lookup and touches every record it finds", async () => {
  const plain = createPgChunkIndex(db, { encrypted: false });
  await plain.insert("s5", [loc(1), loc(2)]);
  await createPgChunkIndex(db, { encrypted: true }).insert("s5", [loc(2, { encrypted: true, packId: "c".repeat(32) })]);
  await db.execute(sql`update chunks set last_seen = now() - interval '1 day' where store_id = 's5'`);
  const found = await plain.lookupAndTouch("s5", [d(1), d(2), d(3)]);
  assert.equal([...found.keys()].sort(), hexes([d(1), d(2)]).sort());
  assert.equal(flat(found.get(d(2).toHex())), flat(await plain.lookup("s5", [d(2)]).then((m) => m.get(d(2).toHex()))), "the encrypted copy wins here too");
  const [{ old }] = await db.execute<{ old: number }>(sql`select count(*)::int as old from chunks where store_id = 's5' and last_seen < now() - interval '1 hour'`);
  assert.is(old, 0);
});

test("relocate moves only rows still in the pack they were read from", async () => {
  const idx = createPgChunkIndex(db, { encrypted: false });
  await idx.insert("s4", [loc(1), loc(2, { packId: "e".repeat(32) })]);
  const to = (i: number) => ({ ...loc(i), packId: "f".repeat(32), offset: 100 + i, codec: "raw" as const });
  await idx.relocate("s4", [to(1), to(2)], () => "a".repeat(32));
  const found = await idx.lookup("s4", [d(1), d(2)]);
  assert.equal(flat(found.get(d(1).toHex())), flat(to(1)));
  assert.is(found.get(d(2).toHex())!.packId, "e".repeat(32), "it had moved elsewhere: left alone");
});

test.after(async () => {
  await database.close();
  await tdb.drop();
});

test.run();
