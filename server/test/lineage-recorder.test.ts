import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openDatabase, type Database } from "../src/storage/db/client.js";
import { createLineageRecorder } from "../src/storage/db/lineage-repo.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";

const t = suite<{ db: TestDatabase; database: Database }>("lineage recorder");
t.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.database = openDatabase(ctx.db.url, { max: 2 });
});
t.after(async (ctx) => {
  await ctx.database.close();
  await ctx.db.drop();
});

t("edges land with the caller's transaction, and not when it rolls back", async ({ db, database }) => {
  const rec = createLineageRecorder(database.db);
  const edge = (to: string) => ({
    storeId: "s1",
    kind: "COMPOSED_FROM" as const,
    from: { kind: "SNAPSHOT" as const, id: "a" },
    to: { kind: "SNAPSHOT" as const, id: to },
    ordinal: 1,
    note: "x".repeat(2000),
  });
  await database.db.transaction(async (tx) => rec.record([edge("kept")], tx));
  await database.db
    .transaction(async (tx) => {
      await rec.record([edge("rolled-back")], tx);
      throw new Error("abort");
    })
    .catch(() => undefined);
  await rec.record([]);
  const sql = postgres(db.url, { max: 1 });
  const rows = await sql`select kind, from_kind, from_id, to_id, ordinal, length(note) as n from lineage_edges`;
  await sql.end();
  assert.equal(rows.map((r) => ({ ...r })), [{ kind: "COMPOSED_FROM", from_kind: "SNAPSHOT", from_id: "a", to_id: "kept", ordinal: 1, n: 1024 }]);
});

t.run();
