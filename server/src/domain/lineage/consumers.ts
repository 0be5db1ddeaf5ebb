import type { AuditContext } from "../audit/audit-context.js";
import type { ResourceLookup } from "../catalog/types.js";
import { notFound } from "../errors.js";
import { RESOURCE_ID_RE, Validator } from "../validate.js";
import type { GraphEdge } from "./graph-types.js";
import { checkTarget, type SnapshotOrResource } from "./target.js";

/** Longest consumer note, in characters (the recorder's limit). */
export const MAX_CONSUMER_NOTE_CHARS = 1024;

export interface ConsumerRepository {
  /**
   * In one transaction: locks the snapshot (NOT_FOUND when the store has no such snapshot,
   * FAILED_PRECONDITION SNAPSHOT_DELETED when it is not ACTIVE); returns the CONSUMED_BY edge from
   * it to `consumer` when one exists; otherwise records it with the lineage recorder and audits
   * "snapshot.consume".
   */
  register(
    r: { storeId: string; snapshotId: string; consumer: string; note: string },
    audit: AuditContext,
  ): Promise<{ edge: GraphEdge; created: boolean }>;
}

export interface ConsumerRegistration extends SnapshotOrResource {
  consumer: string;
  note: string;
}

/**
 * RegisterConsumer: a CONSUMED_BY edge from a snapshot (or a resource's newest live snapshot) to a
 * named consumer, once per (snapshot, consumer).
 */
export function createRegisterConsumer(deps: { consumers: ConsumerRepository; lookup: ResourceLookup }) {
  return async function registerConsumer(r: ConsumerRegistration, audit: AuditContext) {
    const v = new Validator();
    const key = checkTarget(v, r);
    v.pattern("consumer", r.consumer, RESOURCE_ID_RE, 256, "1-256 characters without control characters");
    v.text("note", r.note, MAX_CONSUMER_NOTE_CHARS, true);
    v.throwIfAny();
    let snapshotId = r.snapshotId.toLowerCase();
    if (key) {
      const latest = await deps.lookup.latestLive(key);
      if (!latest) throw notFound("live snapshot of resource", `${key.resourceType}/${key.resourceId}`);
      snapshotId = latest.id;
    }
    const { edge, created } = await deps.consumers.register({ storeId: r.storeId, snapshotId, consumer: r.consumer, note: r.note }, audit);
    return { edge, snapshotId, alreadyRegistered: !created };
  };
}

export type RegisterConsumer = ReturnType<typeof createRegisterConsumer>;
