import { eq, sql } from "drizzle-orm";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import * as drizzleUtils from "drizzle-orm/utils";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { openDatabase } from "./client.js";

/**
 * drizzle's row mapping as patched (patches/drizzle-orm+0.45.4.patch): each selected field's
 * decoder is found once per query instead of once per row and column, and rows map exactly as
 * before: nested selections, decoders of SQL fields, and a left join's missing side as null.
 */
/** drizzle's row mapper: exported by the module, left out of its type declarations. */
const { mapResultRow } = drizzleUtils as unknown as {
  mapResultRow(fields: { path: string[]; field: unknown }[], row: unknown[], joinsNotNullable: undefined): Record<string, unknown>;
};
const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 2 });
const parents = pgTable("mapping_parents", { id: integer("id").primaryKey(), name: text("name").notNull(), made: timestamp("made", { withTimezone: true }).notNull() });
const children = pgTable("mapping_children", { id: integer("id").primaryKey(), parentId: integer("parent_id").notNull(), note: text("note").notNull() });

test.before(async () => {
  await database.db.execute(sql`create table mapping_parents (id int primary key, name text not null, made timestamptz not null)`);
  await database.db.execute(sql`create table mapping_children (id int primary key, parent_id int not null, note text not null)`);
  await database.db.insert(parents).values([
    { id: 1, name: "oak", made: new Date("2026-01-02T03:04:05.678Z") },
    { id: 2, name: "elm", made: new Date("2026-02-03T04:05:06.789Z") },
  ]);
  await database.db.insert(children).values({ id: 10, parentId: 1, note: "first" });
});

test.after(async () => {
  await database.close();
  await tdb.drop();
});

test("nested selections, SQL fields with their own decoders and column decoders map per row", async () => {
  const rows = await database.db
    .select({
      id: parents.id,
      made: parents.made,
      detail: { name: parents.name, shout: sql<string>`upper(${parents.name})`, total: sql`count(*) over ()`.mapWith(Number) },
    })
    .from(parents)
    .orderBy(parents.id);
  assert.equal(rows, [
    { id: 1, made: new Date("2026-01-02T03:04:05.678Z"), detail: { name: "oak", shout: "OAK", total: 2 } },
    { id: 2, made: new Date("2026-02-03T04:05:06.789Z"), detail: { name: "elm", shout: "ELM", total: 2 } },
  ]);
  assert.instance(rows[0].made, Date);
  assert.type(rows[0].detail.total, "number", "count(*) arrives as a string and mapWith(Number) decodes it");
});

test("a left join's side with no row maps to null, and to an object where a row joined", async () => {
  const rows = await database.db.select().from(parents).leftJoin(children, eq(children.parentId, parents.id)).orderBy(parents.id);
  assert.equal(rows.map((r) => [r.mapping_parents.name, r.mapping_children]), [
    ["oak", { id: 10, parentId: 1, note: "first" }],
    ["elm", null],
  ]);
});

test("each field's decoder is looked up once per query, not once per row", () => {
  let lookups = 0;
  const doubled = sql`x`;
  Object.defineProperty(doubled, "decoder", {
    get() {
      lookups++;
      return { mapFromDriverValue: (v: number) => v * 2 };
    },
  });
  const fields = [{ path: ["n"], field: doubled }];
  const mapped = Array.from({ length: 100 }, (_, i) => mapResultRow(fields, [i], undefined));
  assert.equal(mapped.slice(0, 3), [{ n: 0 }, { n: 2 }, { n: 4 }]);
  assert.equal(mapped[99], { n: 198 });
  assert.is(lookups, 1, `decoder looked up ${lookups} times for 100 rows`);
});

test.run();
