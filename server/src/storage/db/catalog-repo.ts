import { and, eq, gt, lt, or, sql } from "drizzle-orm";
import { annotationState } from "../../domain/audit/resource-states.js";
import type { Annotation, AnnotationRepository, ResourceLookup, TagCountRepository } from "../../domain/catalog/types.js";
import { resourceExhausted } from "../../domain/errors.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, descNullsLast, newestFirst } from "./keyset.js";
import { snapshotAnnotations, snapshots, tagCounts, type AnnotationRow } from "./schema/index.js";
import { lockActiveSnapshotTx } from "./snapshot-lock.js";
import { ofResource } from "./snapshot-repo.js";

const toAnnotation = (r: AnnotationRow): Annotation => ({ ...r });

/** Live-tag counters (kept by the triggers of the `*_catalog_sql` migration); reads only. */
export function createTagCountRepository(db: Db): TagCountRepository {
  return {
    async list(storeId, prefix, limit, after) {
      const rows = await db
        .select({ tag: tagCounts.tag, count: tagCounts.liveCount })
        .from(tagCounts)
        .where(
          and(
            eq(tagCounts.storeId, storeId),
            gt(tagCounts.liveCount, 0),
            prefix ? sql`starts_with(${tagCounts.tag}, ${prefix})` : undefined,
            after
              ? or(lt(tagCounts.liveCount, after.count), and(eq(tagCounts.liveCount, after.count), gt(tagCounts.tag, after.tag)))
              : undefined,
          ),
        )
        .orderBy(descNullsLast(tagCounts.liveCount), tagCounts.tag)
        .limit(limit);
      return rows;
    },
  };
}

/** Annotations: immutable rows, added under the snapshot's row lock with their audit event. */
export function createAnnotationRepository(db: Db): AnnotationRepository {
  return {
    add(a, opts) {
      return db.transaction(async (tx) => {
        // The lock orders this with deletes of the snapshot; the insert's trigger then rewrites the
        // snapshot's search vector, so it is held in any case.
        await lockActiveSnapshotTx(tx, a.storeId, a.snapshotId, "annotated");
        const [{ n }] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(snapshotAnnotations)
          .where(eq(snapshotAnnotations.snapshotId, a.snapshotId));
        if (n >= opts.maxPerSnapshot) {
          throw resourceExhausted(`the snapshot already has ${n} annotations; at most ${opts.maxPerSnapshot} are allowed`, undefined, "ANNOTATION_LIMIT");
        }
        const [row] = await tx.insert(snapshotAnnotations).values(a).returning();
        const created = toAnnotation(row);
        await appendAuditTx(tx, opts.audit, {
          storeId: a.storeId,
          action: "snapshot.annotate",
          resourceType: "annotation",
          resourceId: a.id,
          before: null,
          after: annotationState(created),
        });
        return created;
      });
    },

    async snapshotExists(storeId, snapshotId) {
      const [row] = await db
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(and(eq(snapshots.storeId, storeId), eq(snapshots.id, snapshotId)));
      return row !== undefined;
    },

    async list(storeId, snapshotId, limit, after) {
      const rows = await db
        .select()
        .from(snapshotAnnotations)
        .where(
          and(
            eq(snapshotAnnotations.storeId, storeId),
            eq(snapshotAnnotations.snapshotId, snapshotId),
            afterCursor(snapshotAnnotations.createTime, snapshotAnnotations.id, after),
          ),
        )
        .orderBy(...newestFirst(snapshotAnnotations.createTime, snapshotAnnotations.id))
        .limit(limit);
      return rows.map(toAnnotation);
    },
  };
}

/** HasSnapshots' lookup: the newest live snapshot of a resource. */
export function createResourceLookup(db: Db): ResourceLookup {
  return {
    async latestLive(key, resourceVersion) {
      const [row] = await db
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(
          and(
            ofResource(key),
            eq(snapshots.state, "ACTIVE"),
            resourceVersion === undefined ? undefined : eq(snapshots.resourceVersion, resourceVersion),
          ),
        )
        .orderBy(...newestFirst(snapshots.createTime, snapshots.id))
        .limit(1);
      return row;
    },
  };
}
