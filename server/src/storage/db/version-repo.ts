import { and, asc, count, desc, eq, gt, gte, sql } from "drizzle-orm";
import type { ResourceKey, VersionRepository } from "../../domain/ports.js";
import { claimIdempotencyTx, Replayed } from "./idempotency-tx.js";
import type { Db } from "./client.js";
import { versionState } from "../../domain/audit/resource-states.js";
import { appendAuditTx } from "./audit-repo.js";
import { toVersion } from "./mappers.js";
import { resources, snapshots, versions } from "./schema/index.js";
import type { Tx } from "./audit-repo.js";

/**
 * Allocates the next version number of a resource. The upsert takes the counter row's lock, so
 * concurrent commits to one resource are serialised and numbers stay dense.
 */
export async function nextVersionTx(tx: Tx | Db, key: ResourceKey): Promise<number> {
  const [row] = await tx
    .insert(resources)
    .values({ ...key, latestVersion: 1 })
    .onConflictDoUpdate({
      target: [resources.storeId, resources.resourceType, resources.resourceId],
      set: { latestVersion: sql`${resources.latestVersion} + 1` },
    })
    .returning({ v: resources.latestVersion });
  return row.v;
}

export async function insertVersionTx(
  tx: Tx | Db,
  key: ResourceKey,
  version: number,
  v: { snapshotId: string; authorId: string; notes: string; message: string; createTime: Date },
) {
  const [row] = await tx
    .insert(versions)
    .values({ ...key, version, ...v })
    .returning();
  return toVersion(row);
}

function keyWhere(key: ResourceKey) {
  return and(
    eq(versions.storeId, key.storeId),
    eq(versions.resourceType, key.resourceType),
    eq(versions.resourceId, key.resourceId),
  )!;
}

export function createVersionRepository(db: Db): VersionRepository {
  return {
    async list(key, pageSize, since, after) {
      const base = since ? and(keyWhere(key), gte(versions.createTime, since))! : keyWhere(key);
      const rows = await db
        .select()
        .from(versions)
        .where(after ? and(base, gt(versions.version, after.version)) : base)
        .orderBy(asc(versions.version))
        .limit(pageSize + 1);
      const [{ n }] = await db.select({ n: count() }).from(versions).where(base);
      const items = rows.slice(0, pageSize).map(toVersion);
      const last = items[items.length - 1];
      return { items, next: rows.length > pageSize && last ? { version: last.version } : undefined, totalSize: Number(n) };
    },

    async get(key, version) {
      const [row] = await db.select().from(versions).where(and(keyWhere(key), eq(versions.version, version)));
      return row && toVersion(row);
    },

    async latest(key) {
      const [row] = await db.select().from(versions).where(keyWhere(key)).orderBy(desc(versions.version)).limit(1);
      return row && toVersion(row);
    },

    async append(key, snapshotId, authorId, notes, now, audit, idempotency) {
      try {
        return await appendTx(key, snapshotId, authorId, notes, now, audit, idempotency);
      } catch (err) {
        if (!(err instanceof Replayed)) throw err;
        const earlier = await this.get(key, Number(err.resultId));
        if (!earlier) throw err;
        return earlier;
      }
    },
  };

  function appendTx(...[key, snapshotId, authorId, notes, now, audit, idempotency]: Parameters<VersionRepository["append"]>) {
      return db.transaction(async (tx) => {
        // Lock the snapshot so a concurrent purge cannot remove it under the new version.
        const [snap] = await tx
          .select({ commitMessage: snapshots.commitMessage, version: snapshots.version })
          .from(snapshots)
          .where(and(eq(snapshots.storeId, key.storeId), eq(snapshots.id, snapshotId)))
          .for("update");
        const version = await nextVersionTx(tx, key);
        const created = await insertVersionTx(tx, key, version, {
          snapshotId,
          authorId,
          notes,
          message: snap?.commitMessage ?? "",
          createTime: now,
        });
        if (snap && snap.version === 0) {
          // A snapshot committed for the first time records the resource and version it now is.
          await tx
            .update(snapshots)
            .set({ resourceId: key.resourceId, version, generation: sql`${snapshots.generation} + 1` })
            .where(eq(snapshots.id, snapshotId));
        }
        if (idempotency) {
          const claim = { storeId: key.storeId, method: "CreateVersion", ...idempotency, resultId: String(version), now };
          const earlier = await claimIdempotencyTx(tx, claim);
          if (earlier) throw new Replayed(earlier); // rolls back this attempt's version
        }
        await appendAuditTx(tx, audit, {
          storeId: key.storeId,
          action: "version.create",
          resourceType: "version",
          resourceId: `${key.resourceType}/${key.resourceId}@${version}`,
          before: null,
          after: versionState(created),
        });
        return created;
      });
  }
}
