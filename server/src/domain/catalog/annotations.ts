import type { AuditContext } from "../audit/audit-context.js";
import { notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock } from "../ports.js";
import { RESOURCE_ID_RE, Validator } from "../validate.js";
import type { Annotation, AnnotationRepository } from "./types.js";

/** Longest annotation message, in characters. */
export const MAX_ANNOTATION_CHARS = 4096;
/** Annotations one snapshot may have (they are immutable, so this bounds its search text too). */
export const MAX_ANNOTATIONS_PER_SNAPSHOT = 200;

function checkIds(v: Validator, storeId: string, snapshotId: string): void {
  v.storeId("store_id", storeId);
  v.uuid("snapshot_id", snapshotId);
}

/** AddAnnotation and ListAnnotations: immutable, audited notes on snapshots. */
export function createAnnotationUseCases(deps: { annotations: AnnotationRepository; clock: Clock; newId: () => string }) {
  return {
    /** `authorId` "" means the calling principal (`actorId`). */
    async add(storeId: string, snapshotId: string, authorId: string, message: string, actorId: string, audit: AuditContext): Promise<Annotation> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      if (message.trim() === "") v.add("message", "is required");
      else v.text("message", message, MAX_ANNOTATION_CHARS, true);
      if (authorId) v.pattern("author_id", authorId, RESOURCE_ID_RE, 256, "free of control characters");
      v.throwIfAny();
      return deps.annotations.add(
        {
          id: deps.newId(),
          storeId,
          snapshotId: snapshotId.toLowerCase(),
          authorId: authorId || actorId,
          message,
          createdBy: audit.actor,
          createTime: deps.clock.now(),
        },
        { maxPerSnapshot: MAX_ANNOTATIONS_PER_SNAPSHOT, audit },
      );
    },

    async list(storeId: string, snapshotId: string, pageSize: number, pageToken: string) {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const id = snapshotId.toLowerCase();
      const filters = { storeId, snapshotId: id };
      const after = decodePageToken(pageToken, filters, (c) => parseTimeIdCursor(c));
      if (!after && !(await deps.annotations.snapshotExists(storeId, id))) throw notFound("snapshot", snapshotId);
      const rows = await deps.annotations.list(storeId, id, size + 1, after);
      const annotations = rows.slice(0, size);
      const last = annotations[annotations.length - 1];
      return {
        annotations,
        nextPageToken: rows.length > size && last ? encodePageToken({ t: last.createTime.toISOString(), id: last.id }, filters) : "",
      };
    },
  };
}

export type AnnotationUseCases = ReturnType<typeof createAnnotationUseCases>;
