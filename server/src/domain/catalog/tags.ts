import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "../paging.js";
import { applyMetadataChange, type SnapshotMetadataRepository } from "../snapshots/metadata-updates.js";
import { checkTags, MAX_TAGS } from "../snapshots/spec.js";
import type { Snapshot } from "../snapshots/types.js";
import { TAG_RE, Validator } from "../validate.js";
import type { TagCountRepository, TagCursor } from "./types.js";

const tagCursor = (c: unknown): TagCursor | undefined => {
  const { n, t } = (c ?? {}) as { n?: unknown; t?: unknown };
  return Number.isSafeInteger(n) && typeof t === "string" ? { count: n as number, tag: t } : undefined;
};

function checkIds(v: Validator, storeId: string, snapshotId: string): void {
  v.storeId("store_id", storeId);
  v.uuid("snapshot_id", snapshotId);
}

/**
 * AddTags, RemoveTag and ListTags. Tag changes go through the same etag-checked, audited row update
 * as UpdateSnapshot; the live-tag counters follow in the same transaction (database triggers).
 */
export function createTagUseCases(deps: { metadata: SnapshotMetadataRepository; counts: TagCountRepository }) {
  return {
    /** Appends the tags the snapshot does not carry yet, in the order given. */
    async add(storeId: string, snapshotId: string, tags: string[], etag: string, audit: AuditContext): Promise<Snapshot> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      if (tags.length === 0) v.add("tags", "is required: at least one tag");
      checkTags(v, "tags", tags);
      v.throwIfAny();
      return applyMetadataChange(deps.metadata, storeId, snapshotId, etag, "snapshot.tag", audit, (s) => {
        const merged = [...new Set([...s.tags, ...tags])];
        if (merged.length === s.tags.length) return undefined;
        if (merged.length > MAX_TAGS) {
          throw failedPrecondition(`the snapshot would carry ${merged.length} tags; at most ${MAX_TAGS} are allowed`, "TOO_MANY_TAGS");
        }
        return { tags: merged };
      });
    },

    async remove(storeId: string, snapshotId: string, tag: string, etag: string, audit: AuditContext): Promise<Snapshot> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      v.pattern("tag", tag, TAG_RE, 128, "1-128 characters of [A-Za-z0-9._:/@+=-]");
      v.throwIfAny();
      return applyMetadataChange(deps.metadata, storeId, snapshotId, etag, "snapshot.untag", audit, (s) =>
        s.tags.includes(tag) ? { tags: s.tags.filter((t) => t !== tag) } : undefined,
      );
    },

    /** Tags by live count descending, then tag ascending. */
    async list(storeId: string, prefix: string, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", storeId);
      if (prefix) v.pattern("prefix", prefix, TAG_RE, 128, "1-128 characters of [A-Za-z0-9._:/@+=-]");
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const filters = { storeId, prefix };
      const after = decodePageToken(pageToken, filters, tagCursor);
      const rows = await deps.counts.list(storeId, prefix, size + 1, after);
      const tags = rows.slice(0, size);
      const last = tags[tags.length - 1];
      return { tags, nextPageToken: rows.length > size && last ? encodePageToken({ n: last.count, t: last.tag }, filters) : "" };
    },
  };
}

export type TagUseCases = ReturnType<typeof createTagUseCases>;
