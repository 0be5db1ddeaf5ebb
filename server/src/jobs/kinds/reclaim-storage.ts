import { invalidField } from "../../domain/errors.js";
import type { ReclaimOptions, ReclaimReport } from "../../storage/content/reclaim.js";
import { defineJobKind } from "../kind.js";

export interface ReclaimStorageParams {
  /** Grace period in ms (storage/content/reclaim.ts). */
  graceMs: number;
}

/**
 * RECLAIM_STORAGE (system): one storage reclaim run over every store (expired upload sessions,
 * unreferenced manifests, chunks and packs, repack). Enqueued by the `reclaim-storage` schedule;
 * the report is the result's details.
 */
export function reclaimStorageKind(deps: { reclaim(opts: ReclaimOptions): Promise<ReclaimReport> }) {
  return defineJobKind({
    type: "RECLAIM_STORAGE",
    scope: "system",
    parseParams: (raw): ReclaimStorageParams => {
      const graceMs = raw.graceMs;
      if (typeof graceMs !== "number" || !Number.isInteger(graceMs) || graceMs < 0) {
        throw invalidField("params.graceMs", "must be a whole number of milliseconds");
      }
      return { graceMs };
    },
    handler: async ({ params, log }) => {
      const report = await deps.reclaim({ graceMs: params.graceMs });
      log(`reclaimed ${report.bytesFreed} bytes: ${report.chunksDeleted} chunks, ${report.packsDeleted} packs, ${report.packsRepacked} packs repacked`);
      return { ok: true, result: { details: { ...report } } };
    },
  });
}
