/**
 * The Postgres chunk index's per-batch cost against the store's size: an ingest looks up every
 * 64-digest batch (`findMissing`, which also touches what it finds), so that cost must not grow
 * with the number of chunks the store already holds. Measured on a store of 16,384 chunks (the
 * baseline) and one of 262,144, in the same database.
 */
import { randomBytes } from "node:crypto";
import { Sha256 } from "../server/src/domain/digest.js";
import { createPgChunkIndex } from "../server/src/storage/content/pg-chunk-index.js";
import { openDatabase } from "../server/src/storage/db/client.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import type { BenchModule, Report } from "./report.js";

const SMALL = 16_384;
const LARGE = Number(process.env.BENCH_INDEX_CHUNKS) || 262_144;
const BATCH = 64;
const ROUNDS = 200;

const digests = (n: number) => Array.from({ length: n }, () => Sha256.fromBytes(randomBytes(32)));

export const bench: BenchModule = {
  title: "Chunk index lookups against the store's size (Postgres)",
  async run(report: Report) {
    const tdb = await createTestDatabase();
    const database = openDatabase(tdb.url);
    try {
      const index = createPgChunkIndex(database.db, { encrypted: false });
      const stores: Record<string, Sha256[]> = { small: digests(SMALL), large: digests(LARGE) };
      for (const [store, ds] of Object.entries(stores)) {
        for (let i = 0; i < ds.length; i += 4096) {
          const rows = ds.slice(i, i + 4096).map((digest, j) => ({ digest, packId: "ab".repeat(16), offset: j, length: 1, plainSize: 1, codec: "raw" as const, encrypted: false }));
          await index.insert(store, rows);
        }
      }
      const perBatch = async (store: string, batches: () => Sha256[]) => {
        const t0 = performance.now();
        for (let r = 0; r < ROUNDS; r++) await index.findMissing(store, batches());
        return ((performance.now() - t0) / ROUNDS) * 1000;
      };
      for (const [kind, pick] of [
        ["new digests (an upload of new data)", () => () => digests(BATCH)],
        ["present digests, touched (a re-upload)", (ds: Sha256[]) => { let at = 0; return () => ds.slice(at, (at += BATCH)); }],
      ] as const) {
        const small = await perBatch("small", pick(stores.small));
        const large = await perBatch("large", pick(stores.large));
        report({
          name: `findMissing of ${BATCH} ${kind}, ${LARGE.toLocaleString("en")}-chunk store`,
          value: large,
          unit: "µs",
          baseline: { name: `${SMALL.toLocaleString("en")}-chunk store`, value: small },
          ratio: large / small,
          target: "≈ 1, independent of the store's size",
        });
      }
    } finally {
      await database.close();
      await tdb.drop();
    }
  },
};
