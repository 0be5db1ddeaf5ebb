import { sql } from "drizzle-orm";
import { snapshotState } from "../../domain/audit/resource-states.js";
import type { SnapshotBatchRepository } from "../../domain/snapshots/batch-create.js";
import type { Snapshot, Version } from "../../domain/snapshots/types.js";
import { alreadyExists } from "../../domain/errors.js";
import { appendAuditManyTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { insertJsonRows, jsonColumn as column, type JsonColumn } from "./json-rows.js";
import { toSnapshotRow } from "./mappers.js";
import { isUniqueViolation } from "./pg-errors.js";
import type { NewSnapshotRow } from "./schema/index.js";
import { RESOURCE_VERSION_INDEX } from "./snapshot-repo.js";

/** Every column a new snapshot row sets (see toSnapshotRow). */
const SNAPSHOT_COLUMNS: JsonColumn<NewSnapshotRow>[] = [
  column("id", "uuid", (r) => r.id),
  column("store_id", "text", (r) => r.storeId),
  column("resource_type", "text", (r) => r.resourceType),
  column("resource_id", "text", (r) => r.resourceId),
  column("resource_version", "text", (r) => r.resourceVersion),
  column("snapshot_type", "text", (r) => r.snapshotType),
  column("version", "bigint", (r) => r.version),
  column("generation", "integer", (r) => r.generation),
  column("size", "bigint", (r) => r.size),
  column("stored_size", "bigint", (r) => r.storedSize),
  column("sha256", "text", (r) => r.sha256),
  column("tags", "text[]", (r) => r.tags),
  column("labels", "jsonb", (r) => r.labels),
  column("commit_message", "text", (r) => r.commitMessage),
  column("channel", "text", (r) => r.channel),
  column("locale", "text", (r) => r.locale),
  column("job_id", "text", (r) => r.jobId),
  column("created_by", "text", (r) => r.createdBy),
  column("state", "text", (r) => r.state),
  column("pinned", "boolean", (r) => r.pinned),
  column("locked", "boolean", (r) => r.locked),
  column("storage_class", "text", (r) => r.storageClass),
  column("encrypted", "boolean", (r) => r.encrypted),
  column("encryption_algorithm", "text", (r) => r.encryptionAlgorithm),
  column("encryption_key_id", "text", (r) => r.encryptionKeyId),
  column("content_ref", "text", (r) => r.contentRef),
  column("create_time", "timestamptz", (r) => r.createTime),
  column("expire_time", "timestamptz", (r) => r.expireTime ?? null),
];

const VERSION_COLUMNS: JsonColumn<Version>[] = [
  column("store_id", "text", (r) => r.storeId),
  column("resource_type", "text", (r) => r.resourceType),
  column("resource_id", "text", (r) => r.resourceId),
  column("version", "bigint", (r) => r.version),
  column("snapshot_id", "uuid", (r) => r.snapshotId),
  column("author_id", "text", (r) => r.authorId),
  column("notes", "text", (r) => r.notes),
  column("message", "text", (r) => r.message),
  column("create_time", "timestamptz", (r) => r.createTime),
];

/** Thrown inside the transaction to roll it back when an all-or-nothing batch has conflicts. */
class Conflicts extends Error {
  constructor(readonly positions: number[]) {
    super("resource_version conflicts");
  }
}

const resourceKey = (s: { resourceType: string; resourceId: string }) => JSON.stringify([s.resourceType, s.resourceId]);
const versionKey = (s: { resourceType: string; resourceId: string; resourceVersion: string }) =>
  JSON.stringify([s.resourceType, s.resourceId, s.resourceVersion]);

/**
 * Batch inserts of snapshots (BatchCreateSnapshots, and grouped CreateSnapshot commits). Lock order
 * is the one every writer follows: resource counters (here all of the batch's, in key order), then
 * inline content rows, then the tag counters (the insert's trigger, in tag order), then the audit
 * chain head.
 */
export function createSnapshotBatchRepository(db: Db): SnapshotBatchRepository {
  return {
    async insertMany(rows, opts) {
      if (rows.length === 0) return { created: [], conflicts: [] };
      const storeId = rows[0].snapshot.storeId;
      try {
        return await db.transaction(async (tx) => {
          // Take (creating at 0 when new) every counter the batch needs, in key order. Any other
          // writer of these resources takes the same row before inserting, so what the check below
          // reads cannot change before this transaction ends.
          const keys = [...new Map(rows.filter((r) => r.snapshot.resourceId).map((r) => [resourceKey(r.snapshot), r.snapshot])).values()];
          const counters = new Map<string, number>();
          if (keys.length) {
            const locked = await tx.execute<{ resource_type: string; resource_id: string; latest_version: string | number }>(sql`
              insert into resources (store_id, resource_type, resource_id, latest_version)
              select ${storeId}, x.t, x.i, 0
              from json_to_recordset(${JSON.stringify(keys.map((k) => ({ t: k.resourceType, i: k.resourceId })))}::json) as x(t text, i text)
              order by x.t, x.i
              on conflict (store_id, resource_type, resource_id) do update set latest_version = resources.latest_version
              returning resource_type, resource_id, latest_version`);
            for (const r of locked) counters.set(resourceKey({ resourceType: r.resource_type, resourceId: r.resource_id }), Number(r.latest_version));
          }

          const wanted = rows.filter((r) => r.snapshot.resourceVersion).map((r) => r.snapshot);
          const taken = new Set<string>();
          if (wanted.length) {
            const existing = await tx.execute<{ resource_type: string; resource_id: string; resource_version: string }>(sql`
              select s.resource_type, s.resource_id, s.resource_version
              from snapshots s
              join json_to_recordset(${JSON.stringify(wanted.map((s) => ({ t: s.resourceType, i: s.resourceId, v: s.resourceVersion })))}::json)
                as x(t text, i text, v text)
                on s.resource_type = x.t and s.resource_id = x.i and s.resource_version = x.v
              where s.store_id = ${storeId}`);
            for (const r of existing) taken.add(versionKey({ resourceType: r.resource_type, resourceId: r.resource_id, resourceVersion: r.resource_version }));
          }
          const conflicts: number[] = [];
          rows.forEach((r, k) => {
            if (!r.snapshot.resourceVersion) return;
            const key = versionKey(r.snapshot);
            if (taken.has(key)) conflicts.push(k);
            else taken.add(key); // a later row of the batch with the same version conflicts with this one
          });
          if (opts.allOrNothing && conflicts.length) throw new Conflicts(conflicts);

          const skip = new Set(conflicts);
          const inserts = rows.flatMap((r, k) => {
            if (skip.has(k)) return [];
            let version = 0;
            if (r.snapshot.resourceId) {
              const key = resourceKey(r.snapshot);
              version = counters.get(key)! + 1;
              counters.set(key, version);
            }
            return [{ k, row: r, version }];
          });
          const created = new Array<Snapshot | undefined>(rows.length);
          if (inserts.length === 0) return { created, conflicts };
          // Content of the rows that will be inserted only (a conflicting row leaves no manifest),
          // the steps pipelined on the transaction's connection.
          await Promise.all(inserts.map((i) => i.row.content?.run(tx)));
          await insertJsonRows(tx, "snapshots", SNAPSHOT_COLUMNS, inserts.map((i) => toSnapshotRow(i.row.snapshot, i.version)));
          // What was inserted is exactly these values (nothing in the row is computed by the database
          // that a Snapshot carries), so they are the result without reading the rows back.
          for (const i of inserts) created[i.k] = { ...i.row.snapshot, version: i.version };

          const versioned = inserts.filter((i) => i.version > 0);
          if (versioned.length) {
            await insertJsonRows(tx, "versions", VERSION_COLUMNS, versioned.map(({ row: { snapshot: s, versionMessage }, version }) => ({
              storeId,
              resourceType: s.resourceType,
              resourceId: s.resourceId,
              version,
              snapshotId: s.id,
              authorId: s.createdBy,
              notes: "",
              message: versionMessage,
              createTime: s.createTime,
            })));
            const latest = [...counters].map(([key, v]) => {
              const [t, i] = JSON.parse(key) as [string, string];
              return { t, i, v };
            });
            await tx.execute(sql`
              update resources r set latest_version = x.v
              from json_to_recordset(${JSON.stringify(latest)}::json) as x(t text, i text, v bigint)
              where r.store_id = ${storeId} and r.resource_type = x.t and r.resource_id = x.i and r.latest_version <> x.v`);
          }
          await appendAuditManyTx(
            tx,
            opts.audit,
            inserts.map((i) => ({
              context: i.row.audit,
              storeId,
              action: "snapshot.create",
              resourceType: "snapshot" as const,
              resourceId: i.row.snapshot.id,
              before: null,
              after: snapshotState(created[i.k]!),
            })),
          );
          return { created, conflicts };
        });
      } catch (err) {
        if (err instanceof Conflicts) return { created: [], conflicts: err.positions };
        // The check above runs under the resource locks, so only a writer that skipped them could
        // get here; the unique index still turns that into ALREADY_EXISTS.
        if (isUniqueViolation(err, RESOURCE_VERSION_INDEX)) throw alreadyExists("a resource_version of the batch was taken concurrently", "RESOURCE_VERSION_EXISTS");
        throw err;
      }
    },
  };
}
