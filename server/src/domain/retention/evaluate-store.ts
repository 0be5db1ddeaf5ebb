import { resourceExhausted } from "../errors.js";
import { evaluateGroup, keepLineageParents } from "./evaluate.js";
import type { LineageSource, ProtectionSource, ReclaimEstimator, RetentionCandidateSource, ScannedCandidate } from "./ports.js";
import type { Decision, EvaluatedRule, Reason, RetentionTotals } from "./types.js";

/** Largest number of ACTIVE snapshots one evaluation walks (RESOURCE_EXHAUSTED beyond). */
export const MAX_EVALUATED_SNAPSHOTS = 1_000_000;
/** Snapshots whose external protections are looked up together. */
const PROTECTION_BATCH = 1000;

export interface EvaluationDeps {
  candidates: RetentionCandidateSource;
  /** External protections (pending restores, approvals); none yet. */
  protections: readonly ProtectionSource[];
  /** Lineage (parents of kept snapshots are kept); none yet. */
  lineage?: LineageSource;
  reclaim: ReclaimEstimator;
}

export interface StoreEvaluation {
  totals: RetentionTotals;
  /** The DELETE decisions, in walk order. */
  deletions: Decision[];
}

/**
 * Evaluates `rules` over every ACTIVE snapshot of the store at `now`, one resource group at a time
 * (memory holds one group, a batch of groups for the protection lookups, and the DELETE decisions).
 * `visit` sees every decision in walk order as soon as its group is decided; lineage can later flip
 * a DELETE to KEEP (the same object is updated). Totals are final.
 */
export async function evaluateStore(
  deps: EvaluationDeps,
  storeId: string,
  rules: readonly EvaluatedRule[],
  now: Date,
  opts: { after?: string; visit?: (d: Decision, c: ScannedCandidate) => void; signal?: AbortSignal } = {},
): Promise<StoreEvaluation> {
  const count = await deps.candidates.count(storeId);
  if (count > MAX_EVALUATED_SNAPSHOTS) {
    throw resourceExhausted(
      `the store has ${count} active snapshots; retention evaluates at most ${MAX_EVALUATED_SNAPSHOTS}`,
      undefined,
      "RETENTION_TOO_LARGE",
    );
  }
  const totals: RetentionTotals = { consideredCount: 0, keepCount: 0, deleteCount: 0, deleteLogicalBytes: 0, reclaimableBytes: 0 };
  const deletions = new Map<string, Decision>();
  let pending: ScannedCandidate[][] = [];
  let pendingSize = 0;

  const flush = async () => {
    const groups = pending;
    pending = [];
    pendingSize = 0;
    opts.signal?.throwIfAborted();
    const extra = await externalProtections(deps.protections, storeId, groups.flat().map((c) => c.id), now);
    for (const group of groups) {
      const decisions = evaluateGroup(group, rules, now, (c) => extra.get(c.id) ?? []);
      decisions.forEach((d, i) => {
        totals.consideredCount++;
        if (d.decision === "DELETE") deletions.set(d.candidate.id, d);
        opts.visit?.(d, group[i]);
      });
    }
  };

  let group: ScannedCandidate[] = [];
  for await (const c of deps.candidates.scan(storeId, now, opts.after)) {
    const first = group[0];
    if (first && (first.resourceType !== c.resourceType || first.resourceId !== c.resourceId)) {
      pending.push(group);
      pendingSize += group.length;
      group = [];
      if (pendingSize >= PROTECTION_BATCH) await flush();
    }
    group.push(c);
  }
  if (group.length) pending.push(group);
  await flush();

  if (deps.lineage) {
    const lineage = deps.lineage;
    await keepLineageParents(deletions, (ids) => lineage.parentsOfKept(storeId, ids));
  }
  const doomed = [...deletions.values()];
  totals.deleteCount = doomed.length;
  totals.keepCount = totals.consideredCount - doomed.length;
  totals.deleteLogicalBytes = doomed.reduce((n, d) => n + d.candidate.size, 0);
  totals.reclaimableBytes = doomed.length
    ? await deps.reclaim.reclaimableBytes(storeId, doomed.map((d) => ({ id: d.candidate.id, contentRef: d.candidate.contentRef })))
    : 0;
  return { totals, deletions: doomed };
}

async function externalProtections(sources: readonly ProtectionSource[], storeId: string, ids: string[], now: Date): Promise<Map<string, Reason[]>> {
  const merged = new Map<string, Reason[]>();
  if (ids.length === 0) return merged;
  for (const source of sources) {
    for (const [id, reasons] of await source.protect(storeId, ids, now)) merged.set(id, [...(merged.get(id) ?? []), ...reasons]);
  }
  return merged;
}
