import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { ReclaimEstimator } from "../../domain/retention/ports.js";
import type { Db } from "../db/client.js";
import { chunks, manifests, snapshots } from "../db/schema/index.js";
import { decodeManifest } from "../engine/manifest.js";
import { readManifestBody } from "./manifest-repo.js";

/** Manifests read per statement, and digests summed per statement. */
const MANIFEST_BATCH = 100;
const DIGEST_BATCH = 2000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Estimates what reclaim frees when some snapshots go: the chunk digests of their manifests, minus
 * those any other ACTIVE snapshot's manifest lists (the walk stops as soon as nothing is left), then
 * the stored lengths of the remaining chunks from the chunk index. Plaintext and encrypted copies
 * of a digest are separate chunks, as in the index. Manifests are decoded without the read cache,
 * so a walk does not evict what downloads use.
 */
export function createReclaimEstimator(db: Db): ReclaimEstimator {
  async function* manifestsOf(storeId: string, refs: string[]) {
    const ids = refs.filter((r) => UUID_RE.test(r));
    for (let i = 0; i < ids.length; i += MANIFEST_BATCH) {
      const rows = await db
        .select({ id: manifests.id, encrypted: manifests.encrypted, body: manifests.body })
        .from(manifests)
        .where(and(eq(manifests.storeId, storeId), inArray(manifests.id, ids.slice(i, i + MANIFEST_BATCH))));
      for (const r of rows) yield { encrypted: r.encrypted, entries: decodeManifest(await readManifestBody(db, r.id, r.body)).entries };
    }
  }

  return {
    async reclaimableBytes(storeId, doomed) {
      const only = { plain: new Set<string>(), encrypted: new Set<string>() };
      const setOf = (encrypted: boolean) => (encrypted ? only.encrypted : only.plain);
      for await (const m of manifestsOf(storeId, [...new Set(doomed.map((d) => d.contentRef))])) {
        for (const e of m.entries) setOf(m.encrypted).add(e.digest.toHex());
      }
      const gone = new Set(doomed.map((d) => d.id));
      let after = "00000000-0000-0000-0000-000000000000";
      while (only.plain.size + only.encrypted.size > 0) {
        const survivors = await db
          .select({ id: snapshots.id, contentRef: snapshots.contentRef })
          .from(snapshots)
          .where(and(eq(snapshots.storeId, storeId), eq(snapshots.state, "ACTIVE"), gt(snapshots.id, after)))
          .orderBy(asc(snapshots.id))
          .limit(MANIFEST_BATCH);
        if (survivors.length === 0) break;
        after = survivors[survivors.length - 1].id;
        const refs = survivors.filter((s) => !gone.has(s.id)).map((s) => s.contentRef);
        for await (const m of manifestsOf(storeId, refs)) {
          const set = setOf(m.encrypted);
          for (const e of m.entries) set.delete(e.digest.toHex());
        }
      }
      let bytes = 0;
      for (const [encrypted, set] of [[false, only.plain], [true, only.encrypted]] as const) {
        const digests = [...set].map((h) => Buffer.from(h, "hex"));
        for (let i = 0; i < digests.length; i += DIGEST_BATCH) {
          const [{ n }] = await db
            .select({ n: sql<string>`coalesce(sum(${chunks.length}), 0)` })
            .from(chunks)
            .where(and(eq(chunks.storeId, storeId), eq(chunks.encrypted, encrypted), inArray(chunks.digest, digests.slice(i, i + DIGEST_BATCH))));
          bytes += Number(n);
        }
      }
      return bytes;
    },
  };
}
