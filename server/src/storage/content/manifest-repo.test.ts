import { randomUUID } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { digestOf } from "../../domain/digest.js";
import { isDomainError } from "../../domain/errors.js";
import { openDatabase } from "../db/client.js";
import { createManifest, encodeManifest } from "../engine/manifest.js";
import { MANIFEST_PART_BYTES, createManifestRepo } from "./manifest-repo.js";

const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 2 });
const PART = 1000; // small parts, so a few hundred entries span several rows

const manifestOf = (n: number, seed: number) =>
  createManifest(Array.from({ length: n }, (_, i) => ({ digest: digestOf(Buffer.from(`chunk ${seed}/${i}`)), size: 1 + ((i * 7919) % 100_000) })));
const hexes = (m: ReturnType<typeof manifestOf>) => m.entries.map((e) => `${e.digest.toHex()}:${e.size}`);
const partsOf = async (id: string) =>
  (await database.sql<{ part: number; n: number }[]>`select part, length(body)::int as n from manifest_parts where manifest_id = ${id} order by part`).map((r) => ({ ...r }));

test("a large manifest is stored in bounded parts and reads back whole, from a fresh repo", async () => {
  const m = manifestOf(300, 1);
  const encoded = encodeManifest(m).length;
  const id = randomUUID();
  await createManifestRepo(database.db, { partBytes: PART }).save(id, "s1", m, "ab".repeat(32), false);
  const parts = await partsOf(id);
  assert.is(parts.length, Math.ceil(encoded / PART) - 1, "the first part is in manifests.body");
  assert.ok(parts.every((p, i) => p.part === i + 1 && p.n <= PART));
  const [{ n }] = await database.sql<{ n: number }[]>`select length(body)::int as n from manifests where id = ${id}`;
  assert.is(n, PART);
  const back = await createManifestRepo(database.db, { partBytes: PART }).load("s1", id); // no cache
  assert.equal(hexes(back), hexes(m));
  assert.is(back.size, m.size);
});

test("a small manifest has no parts; the default part size holds thousands of chunks", async () => {
  const m = manifestOf(1000, 2);
  assert.ok(encodeManifest(m).length < MANIFEST_PART_BYTES);
  const id = randomUUID();
  await createManifestRepo(database.db).save(id, "s1", m, "cd".repeat(32), false);
  assert.equal(await partsOf(id), []);
  assert.equal(hexes(await createManifestRepo(database.db).load("s1", id)), hexes(m));
});

test("a lost or damaged part is DATA_LOSS; deleting the manifest deletes its parts", async () => {
  const m = manifestOf(200, 3);
  const id = randomUUID();
  await createManifestRepo(database.db, { partBytes: PART }).save(id, "s1", m, "ef".repeat(32), false);
  await database.sql`update manifest_parts set body = set_byte(body, 10, get_byte(body, 10) # 1) where manifest_id = ${id} and part = 2`;
  const dataLoss = async () => {
    try {
      await createManifestRepo(database.db, { partBytes: PART }).load("s1", id);
      return false;
    } catch (e) {
      return isDomainError(e, "DataLoss");
    }
  };
  assert.ok(await dataLoss(), "damaged part");
  await database.sql`delete from manifest_parts where manifest_id = ${id} and part = 3`;
  assert.ok(await dataLoss(), "missing part");
  await database.sql`delete from manifests where id = ${id}`;
  assert.equal(await partsOf(id), []);
});

test.after(async () => {
  await database.close();
  await tdb.drop();
});

test.run();
