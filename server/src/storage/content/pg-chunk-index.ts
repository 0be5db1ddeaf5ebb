import { sql } from "drizzle-orm";
import { Sha256 } from "../../domain/digest.js";
import type { Db } from "../db/client.js";
import type { Tx } from "../db/audit-repo.js";
import { absentDigests, type ChunkIndex } from "../engine/chunk-index.js";
import { CODEC_IDS, codecFromId, type ChunkLocation } from "../engine/types.js";

type ChunkRow = {
  digest: Buffer;
  encrypted: boolean;
  pack_id: string;
  offset: string | number;
  length: number;
  plain_size: number;
  codec: number;
};

/**
 * The JSON text of chunk rows for json_to_recordset, written directly: one string per row rather
 * than an object per row and then JSON.stringify (an ingest commits hundreds of thousands of rows).
 * Every value is a hex digest, a pack id (hex), a number or a boolean: nothing needs escaping.
 */
function rowsJson(batch: readonly ChunkLocation[], from?: (l: ChunkLocation) => string): string {
  const rows = batch.map(
    (l) =>
      `{"d":"${l.digest.toHex()}","e":${l.encrypted},"p":"${l.packId}","o":${l.offset},"l":${l.length},"s":${l.plainSize},"c":${CODEC_IDS[l.codec]}` +
      (from ? `,"f":"${from(l)}"}` : "}"),
  );
  return `[${rows.join(",")}]`;
}

/**
 * Rows per insert statement. Each row is about 170 characters of JSON, so a batch's text stays
 * under V8's large-object threshold (128 KiB) and dies young: at 5,000 rows every batch was a
 * megabyte-sized string that only a full GC frees, and committing a 4 GiB upload (100,000 rows)
 * piled up about 20 MB of them.
 */
const INSERT_BATCH = 500;

/**
 * Postgres ChunkIndex. `encrypted` selects which records an ingest may dedup against and lookups
 * return: an encrypted ingest only reuses encrypted records; a plaintext ingest reuses any (the
 * server can read both).
 * `findMissing` also touches `last_seen` of every chunk it reports present, so garbage collection
 * (which only removes chunks unseen for its grace period) cannot delete a chunk an ingest in
 * progress has just decided to reuse.
 *
 * Hot path: every statement is one round trip with one JSON parameter (`json_to_recordset`),
 * written as SQL rather than through the query builder, which cost more CPU than the database did.
 */
export function createPgChunkIndex(
  db: Db | Tx,
  opts: { encrypted: boolean },
): ChunkIndex & {
  /**
   * Points index rows at new locations (a repack), each only while it still points at the pack
   * `from` names for it, so a row deleted or moved meanwhile is left alone.
   */
  relocate(storeId: string, locations: readonly ChunkLocation[], from: (l: ChunkLocation) => string): Promise<void>;
  /**
   * `findMissing` that touches only records whose `last_seen` is older than `freshMs`: a record
   * seen more recently is as safe from reclaim for the grace period minus `freshMs`, and an
   * untouched record costs no write (so no commit flush) and no row lock.
   */
  findMissingTouchingStale(storeId: string, digests: readonly Sha256[], freshMs: number): Promise<Sha256[]>;
  /** `lookup` that also touches `last_seen` of every record it finds, like findMissing. */
  lookupAndTouch(storeId: string, digests: readonly Sha256[]): Promise<Map<string, ChunkLocation>>;
} {
  const encOnly = opts.encrypted ? sql` and encrypted` : sql``;
  // Digest lists travel as one JSON text parameter of hex strings, decoded in SQL into an array:
  // `digest = any(array)` probes the primary key once per digest whatever the statistics say. With
  // `digest in (subquery)` and no fresh statistics (rows an ingest has just written), the planner
  // hash-joined against every chunk row of the store: 16,384 rows read per 64-digest lookup, and
  // touching 16,384 present chunks cost Postgres 1.09 s of CPU instead of 0.30 s.
  const hexList = (digests: readonly Sha256[]) => JSON.stringify(digests.map((d) => d.toHex()));
  /** The store's records of `digests` (only encrypted ones when the index is). */
  const whereDigests = (storeId: string, digests: readonly Sha256[]) =>
    sql`store_id = ${storeId} and digest = any (array(select decode(x, 'hex') from json_array_elements_text(${hexList(digests)}::json) as x))${encOnly}`;
  /** Locations of the store's records of `digests`; `touch` also refreshes their `last_seen`. */
  async function lookupRows(storeId: string, digests: readonly Sha256[], touch: boolean): Promise<Map<string, ChunkLocation>> {
    const out = new Map<string, ChunkLocation>();
    if (digests.length === 0) return out;
    const where = whereDigests(storeId, digests);
    const columns = sql`digest, encrypted, pack_id, "offset", length, plain_size, codec`;
    const rows = await db.execute<ChunkRow>(
      touch ? sql`update chunks set last_seen = now() where ${where} returning ${columns}` : sql`select ${columns} from chunks where ${where}`,
    );
    for (const r of rows) {
      const hex = Buffer.from(r.digest).toString("hex");
      // An encrypted copy of a chunk wins over a plaintext one (deterministic, whatever the row order).
      if (!r.encrypted && out.get(hex)?.encrypted) continue;
      out.set(hex, {
        digest: Sha256.fromBytes(r.digest),
        packId: r.pack_id,
        offset: Number(r.offset),
        length: r.length,
        plainSize: r.plain_size,
        codec: codecFromId(r.codec) ?? "raw",
        encrypted: r.encrypted,
      });
    }
    return out;
  }

  /** `digests` (once each, in order) minus those `present` returns. */
  async function absent(digests: readonly Sha256[], present: () => Promise<{ digest: Buffer }[]>): Promise<Sha256[]> {
    if (digests.length === 0) return [];
    return absentDigests(digests, new Set((await present()).map((r) => Buffer.from(r.digest).toString("hex"))));
  }

  return {
    findMissing(storeId, digests) {
      return absent(digests, () => db.execute<{ digest: Buffer }>(sql`
        update chunks set last_seen = now() where ${whereDigests(storeId, digests)} returning digest`));
    },

    findMissingTouchingStale(storeId, digests, freshMs) {
      const where = whereDigests(storeId, digests);
      const fresh = sql`now() - make_interval(secs => ${freshMs / 1000})`;
      // Both parts read one snapshot: a row is either touched (stale) or listed as it is (fresh).
      return absent(digests, () => db.execute<{ digest: Buffer }>(sql`
        with touched as (update chunks set last_seen = now() where ${where} and last_seen < ${fresh} returning digest)
        select digest from touched union all select digest from chunks where ${where} and last_seen >= ${fresh}`));
    },


    lookup: (storeId, digests) => lookupRows(storeId, digests, false),
    lookupAndTouch: (storeId, digests) => lookupRows(storeId, digests, true),

    async insert(storeId, locations) {
      for (let i = 0; i < locations.length; i += INSERT_BATCH) {
        const batch = locations.slice(i, i + INSERT_BATCH);
        await db.execute(sql`
          insert into chunks (store_id, digest, encrypted, pack_id, "offset", length, plain_size, codec)
          select ${storeId}, decode(x.d, 'hex'), x.e, x.p, x.o, x.l, x.s, x.c
          from json_to_recordset(${rowsJson(batch)}::json) as x(d text, e boolean, p text, o bigint, l int, s int, c smallint)
          on conflict do nothing`);
      }
    },

    async relocate(storeId, locations, from) {
      for (let i = 0; i < locations.length; i += INSERT_BATCH) {
        await db.execute(sql`
          update chunks c set pack_id = x.p, "offset" = x.o, length = x.l, codec = x.c
          from json_to_recordset(${rowsJson(locations.slice(i, i + INSERT_BATCH), from)}::json) as x(d text, e boolean, f text, p text, o bigint, l int, c smallint)
          where c.store_id = ${storeId} and c.digest = decode(x.d, 'hex') and c.encrypted = x.e and c.pack_id = x.f`);
      }
    },
  };
}
