import { noParams, defineJobKind } from "../kind.js";

/**
 * SNAPSHOT_LIFECYCLE (system): one lifecycle pass over every store: snapshots past their TTL
 * (`expire_time`) are soft-deleted, then soft deletes past the undelete window are purged (their
 * chunks become reclaimable by RECLAIM_STORAGE). Enqueued by the `snapshot-lifecycle` schedule.
 */
export function snapshotLifecycleKind(deps: { lifecyclePass(): Promise<{ expired: number; purged: number }> }) {
  return defineJobKind({
    type: "SNAPSHOT_LIFECYCLE",
    scope: "system",
    parseParams: noParams,
    handler: async ({ log }) => {
      const { expired, purged } = await deps.lifecyclePass();
      log(`${expired} snapshot(s) expired, ${purged} purged`);
      return { ok: true, result: { details: { expired, purged } } };
    },
  });
}
