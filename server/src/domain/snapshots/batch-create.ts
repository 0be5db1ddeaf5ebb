import type { AuditContext } from "../audit/audit-context.js";
import { alreadyExists, DomainError, invalidArgument, invalidField, resourceExhausted, type FieldViolation } from "../errors.js";
import type { Clock, IngestResult, TransactionStep } from "../ports.js";
import { newSnapshot } from "./service.js";
import type { Snapshot, SnapshotSpec } from "./types.js";

/** Most items in one BatchCreateSnapshots call. */
export const MAX_BATCH_ITEMS = 1000;
/** Most payload bytes, all items together, in one BatchCreateSnapshots call. */
export const MAX_BATCH_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** One item as the transport decoded it: the validated spec, its payload, and what was wrong. */
export interface BatchItem {
  spec: SnapshotSpec;
  bytes: Uint8Array;
  /** Field violations already found (fields named "requests[i]. ..."); empty when valid so far. */
  violations: FieldViolation[];
}

/** Each item's outcome, in request order: the snapshot, or why it was not created. */
export type BatchOutcome = { snapshot: Snapshot } | { error: DomainError };

/** Stores many small contents together (see storage/content/batch-ingest.ts). */
export interface BatchContentStore {
  ingestMany(storeId: string, items: readonly { bytes: Uint8Array; encrypt: boolean }[], signal?: AbortSignal): Promise<IngestResult[]>;
}

export interface BatchSnapshotRow {
  snapshot: Omit<Snapshot, "version">;
  versionMessage: string;
  /** The request that creates this row, when not the one `insertMany` names for all. */
  audit?: AuditContext;
  /** Runs in the transaction before any snapshot row: this row's inline content. */
  content?: TransactionStep;
}

export interface SnapshotBatchRepository {
  /**
   * In one transaction: locks the counters of every resource the rows name (in key order), finds
   * the rows whose resource_version the resource already has (or an earlier row of the batch
   * claims), and, unless `allOrNothing` and there are such conflicts, runs the `content` step of
   * every other row (a conflicting row's content is not saved) and inserts it with its next version
   * (rows of one resource get consecutive versions in row order), its version row and its
   * "snapshot.create" audit event (one chain append; each event names its row's `audit`, else
   * `opts.audit`). Returns the created snapshots aligned with `rows` (undefined for conflicts) and
   * the positions of the conflicting rows; with `allOrNothing` and conflicts, nothing is written.
   */
  insertMany(
    rows: readonly BatchSnapshotRow[],
    opts: { allOrNothing: boolean; audit: AuditContext },
  ): Promise<{ created: (Snapshot | undefined)[]; conflicts: number[] }>;
}

const conflictError = (index: number, spec: SnapshotSpec) =>
  alreadyExists(
    `requests[${index}]: resource ${spec.resourceType}/${spec.resourceId} already has a snapshot with resource_version ${JSON.stringify(spec.resourceVersion)}`,
    "RESOURCE_VERSION_EXISTS",
  );

/** BatchCreateSnapshots: many small snapshots, stored together and committed in one transaction. */
export function createBatchCreateUseCases(deps: {
  content: BatchContentStore;
  batches: SnapshotBatchRepository;
  clock: Clock;
  newId: () => string;
}) {
  return async function batchCreate(
    storeId: string,
    items: readonly BatchItem[],
    opts: { atomic: boolean; actor: string; audit: AuditContext; signal?: AbortSignal },
  ): Promise<BatchOutcome[]> {
    if (items.length === 0) throw invalidField("requests", "is required: 1 to 1000 items");
    if (items.length > MAX_BATCH_ITEMS) throw invalidField("requests", `must have at most ${MAX_BATCH_ITEMS} items (got ${items.length})`);
    const total = items.reduce((n, it) => n + it.bytes.length, 0);
    if (total > MAX_BATCH_PAYLOAD_BYTES) {
      throw resourceExhausted(`the batch's payloads total ${total} bytes; at most ${MAX_BATCH_PAYLOAD_BYTES} are allowed`, undefined, "BATCH_TOO_LARGE");
    }
    const violations = items.map((it, i) => {
      const found = [...it.violations];
      if (it.spec.storeId !== storeId) found.push({ field: `requests[${i}].store_id`, description: "must be empty or equal to the batch's store_id" });
      if (it.spec.idempotencyKey) found.push({ field: `requests[${i}].idempotency_key`, description: "is not accepted in a batch" });
      return found;
    });
    if (opts.atomic && violations.some((v) => v.length)) throw invalidArgument(violations.flat());

    const valid = items.flatMap((it, i) => (violations[i].length ? [] : [{ ...it, index: i }]));
    const stored = valid.length
      ? await deps.content.ingestMany(storeId, valid.map((it) => ({ bytes: it.bytes, encrypt: it.spec.encrypt })), opts.signal)
      : [];
    const now = deps.clock.now();
    const rows = valid.map((it, k) => ({
      snapshot: newSnapshot(it.spec, stored[k], { id: deps.newId(), actor: opts.actor, now }),
      versionMessage: it.spec.metadata.commitMessage,
    }));
    const { created, conflicts } = rows.length
      ? await deps.batches.insertMany(rows, { allOrNothing: opts.atomic, audit: opts.audit })
      : { created: [], conflicts: [] };
    if (opts.atomic && conflicts.length) throw conflictError(valid[conflicts[0]].index, valid[conflicts[0]].spec);

    const outcomes: BatchOutcome[] = violations.map((v) => ({ error: invalidArgument(v) }));
    valid.forEach((it, k) => {
      const snapshot = created[k];
      outcomes[it.index] = snapshot ? { snapshot } : { error: conflictError(it.index, it.spec) };
    });
    return outcomes;
  };
}

export type BatchCreate = ReturnType<typeof createBatchCreateUseCases>;
