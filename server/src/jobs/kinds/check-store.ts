import { and, asc, eq, sql } from "drizzle-orm";
import { Sha256 } from "../../domain/digest.js";
import { isDomainError } from "../../domain/errors.js";
import type { Db } from "../../storage/db/client.js";
import { chunks, snapshots } from "../../storage/db/schema/index.js";
import type { ChunkedContentStore } from "../../storage/content/chunked-store.js";
import { codecFromId } from "../../storage/engine/types.js";
import { defineJobKind, noParams } from "../kind.js";

const PAGE = 500;

/**
 * CHECK_STORE: re-reads every indexed chunk of the store (each once, whatever the number of
 * snapshots sharing it) and checks its SHA-256, then checks that every snapshot's manifest exists
 * and that each chunk it lists is indexed. Reports every problem, naming the snapshots affected.
 */
export function checkStoreKind(deps: { db: Db; content: ChunkedContentStore }) {
  return defineJobKind({
    type: "CHECK_STORE",
    scope: "store",
    parseParams: noParams,
    handler: async ({ storeId, signal, progress, log }) => {
      const { db } = deps;
      const { reader } = await deps.content.readerFor(storeId);
      const bad = new Map<string, string>();
      const indexed = new Set<string>(); // hex digests seen by the scan below
      let checked = 0;
      let bytes = 0;
      const total = await db.$count(chunks, eq(chunks.storeId, storeId));
      // Keyset paging on the whole key: a digest can have a plaintext and an encrypted row.
      let after: { digest: Buffer; encrypted: boolean } | undefined;
      for (;;) {
        signal.throwIfAborted();
        const rows = await db
          .select()
          .from(chunks)
          .where(
            after
              ? and(eq(chunks.storeId, storeId), sql`(${chunks.digest}, ${chunks.encrypted}) > (${after.digest}, ${after.encrypted})`)
              : eq(chunks.storeId, storeId),
          )
          .orderBy(asc(chunks.digest), asc(chunks.encrypted))
          .limit(PAGE);
        if (rows.length === 0) break;
        for (const r of rows) {
          const digest = Sha256.fromBytes(r.digest);
          indexed.add(digest.toHex());
          try {
            const plain = await reader.read({ digest, packId: r.packId, offset: r.offset, length: r.length, plainSize: r.plainSize, codec: codecFromId(r.codec) ?? "raw", encrypted: r.encrypted });
            bytes += plain.length;
          } catch (err) {
            if (!isDomainError(err, "DataLoss") && !isDomainError(err, "FailedPrecondition")) throw err;
            bad.set(digest.toHex(), err.message);
          }
          checked++;
        }
        const last = rows[rows.length - 1];
        after = { digest: Buffer.from(last.digest), encrypted: last.encrypted };
        progress(total ? (checked / total) * 90 : 90);
      }
      log(`checked ${checked} chunks (${bytes} bytes); ${bad.size} bad`);

      // Which snapshots do the bad chunks (or missing manifests/chunks) affect?
      const errors: { code: string; message: string; subject: string }[] = [];
      const affected = new Map<string, Set<string>>();
      const snaps = await db.select({ id: snapshots.id, ref: snapshots.contentRef }).from(snapshots).where(eq(snapshots.storeId, storeId));
      for (const s of snaps) {
        let manifest;
        try {
          manifest = await deps.content.manifestOf({ storeId, contentRef: s.ref });
        } catch (e) {
          if (!isDomainError(e, "DataLoss")) throw e;
          errors.push({ code: "DATA_LOSS", message: `snapshot ${s.id}: ${e.message}`, subject: `snapshot ${s.id}` });
          continue;
        }
        for (const e of manifest.entries) {
          const hex = e.digest.toHex();
          if (!indexed.has(hex)) bad.set(hex, bad.get(hex) ?? "chunk is not in the chunk index");
          if (bad.has(hex)) (affected.get(hex) ?? affected.set(hex, new Set()).get(hex)!).add(s.id);
        }
      }
      for (const [hex, why] of bad) {
        const users = [...(affected.get(hex) ?? [])];
        errors.push({ code: "DATA_LOSS", message: `${why}; used by ${users.length ? users.join(", ") : "no snapshot"}`, subject: `chunk ${hex}` });
      }
      const details = { chunks_checked: checked, bytes_checked: bytes, bad_chunks: bad.size, snapshots_checked: snaps.length };
      return errors.length ? { ok: false, errors, result: { details } } : { ok: true, result: { details } };
    },
  });
}
