import { randomUUID } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { digestOf } from "../../domain/digest.js";
import { openDatabase } from "../db/client.js";
import { createManifest, encodeManifest } from "../engine/manifest.js";
import { MANIFEST_PART_BYTES, createManifestRepo } from "./manifest-repo.js";
import { liveDigests } from "./reclaim.js";

const tdb = await createTestDatabase();
const database = openDatabase(tdb.url, { max: 2 });

test("live digests include every chunk of a manifest stored in parts", async () => {
  const entries = Array.from({ length: 9000 }, (_, i) => ({ digest: digestOf(Buffer.from(`c${i}`)), size: 1000 }));
  const m = createManifest(entries);
  assert.ok(encodeManifest(m).length > MANIFEST_PART_BYTES, "large enough to be stored in parts");
  await createManifestRepo(database.db).save(randomUUID(), "big-store", m, "ab".repeat(32), false);
  const live = await liveDigests(database.db, "big-store");
  assert.is(live.size, 9000);
  assert.ok(live.has(entries[8999].digest.toHex()));
});

test.after(async () => {
  await database.close();
  await tdb.drop();
});

test.run();
