/**
 * Group commit of small creates. CreateSnapshot calls of one store that arrive while an earlier
 * group of that store is committing wait for it, then commit together in one transaction
 * (SnapshotBatchRepository.insertMany): one chain-head lock, one audit append and one commit for
 * the group instead of one of each per call. A call that finds nothing committing in its store
 * commits at once, alone: no timer, so a lone create waits for nobody.
 *
 * Each call keeps its own outcome:
 * - a resource_version conflict fails only its own row (ALREADY_EXISTS);
 * - when the group's transaction failed in a way that proves it committed nothing
 *   (`committedNothing`: PostgreSQL refused a statement, or one row's content step threw), each row
 *   is tried again alone, so one bad row cannot fail the others;
 * - any other failure (the database unreachable, a commit whose outcome is unknown) fails every row
 *   of the group, as it would have failed each alone: nothing that may have committed is retried.
 * A call whose signal has aborted when its group starts is dropped and commits nothing.
 */
import type { AuditContext } from "../audit/audit-context.js";
import { resourceVersionExists } from "../errors.js";
import type { BatchSnapshotRow, SnapshotBatchRepository } from "./batch-create.js";
import type { Snapshot } from "./types.js";

/** Most rows one group commits. */
export const MAX_GROUP_ROWS = 100;

/** One call's row; `audit` names the call's own request. */
export type GroupRow = BatchSnapshotRow & { audit: AuditContext };

interface Waiting {
  row: GroupRow;
  signal?: AbortSignal;
  resolve(snapshot: Snapshot): void;
  reject(err: unknown): void;
}

export interface CommitGroupsDeps {
  batches: SnapshotBatchRepository;
  /** True when `err`, thrown by `insertMany`, proves that its transaction committed nothing. */
  committedNothing(err: unknown): boolean;
  maxRows?: number;
}

export interface CommitGroups {
  /** Inserts `row` (with its content step and audit event), committed with whatever else of its store is waiting. */
  commit(row: GroupRow, signal?: AbortSignal): Promise<Snapshot>;
}

export function createCommitGroups(deps: CommitGroupsDeps): CommitGroups {
  const maxRows = deps.maxRows ?? MAX_GROUP_ROWS;
  /** Calls waiting, per store; a store is here exactly while one of its groups is committing. */
  const waiting = new Map<string, Waiting[]>();

  async function commitGroup(group: Waiting[]): Promise<void> {
    try {
      const { created } = await deps.batches.insertMany(
        group.map((w) => w.row),
        { allOrNothing: false, audit: group[0].row.audit },
      );
      group.forEach((w, i) => {
        const s = created[i];
        if (s) return w.resolve(s);
        const { resourceType, resourceId, resourceVersion } = w.row.snapshot;
        w.reject(resourceVersionExists(resourceType, resourceId, resourceVersion));
      });
    } catch (err) {
      if (group.length > 1 && deps.committedNothing(err)) {
        await Promise.all(group.map((w) => commitGroup([w])));
        return;
      }
      for (const w of group) w.reject(err);
    }
  }

  async function drain(storeId: string, queue: Waiting[]): Promise<void> {
    while (queue.length) {
      const group = queue.splice(0, maxRows).filter((w) => {
        if (!w.signal?.aborted) return true;
        w.reject(w.signal.reason);
        return false;
      });
      if (group.length) await commitGroup(group);
    }
    waiting.delete(storeId);
  }

  return {
    commit(row, signal) {
      signal?.throwIfAborted();
      return new Promise<Snapshot>((resolve, reject) => {
        const storeId = row.snapshot.storeId;
        const entry = { row, signal, resolve, reject };
        const queue = waiting.get(storeId);
        if (queue) {
          queue.push(entry);
          return;
        }
        const fresh = [entry];
        waiting.set(storeId, fresh);
        void drain(storeId, fresh);
      });
    },
  };
}
