import type { SensitiveReadAudit } from "../../domain/compare/preview-snapshot.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";

/** Audit action of a PreviewSnapshot with include_sensitive. */
export const SENSITIVE_PREVIEW_ACTION = "snapshot.preview_sensitive";

/**
 * The SensitiveReadAudit port over the store's audit chain: one `snapshot.preview_sensitive`
 * event per unredacted preview, committed before the preview is returned.
 */
export function createSensitiveReadAudit(db: Db): SensitiveReadAudit {
  return async (e) => {
    await db.transaction((tx) =>
      appendAuditTx(
        tx,
        { actor: e.actor, requestId: e.requestId },
        { storeId: e.storeId, action: SENSITIVE_PREVIEW_ACTION, resourceType: "snapshot", resourceId: e.snapshotId, before: null, after: null },
      ),
    );
  };
}
