import type { ServiceImpl } from "@connectrpc/connect";
import { SnapshotAdminService } from "../../../gen/vellum/v1/snapshot_admin_service_pb.js";
import type { SnapshotMetadataUseCases } from "../domain/snapshots/metadata-updates.js";
import { auditOf } from "./context.js";
import { dateOf, snapshotToPb } from "./convert.js";

/** SnapshotAdminService: etag-checked, audited metadata changes. */
export function createSnapshotAdminServiceImpl(deps: { metadata: SnapshotMetadataUseCases }): ServiceImpl<typeof SnapshotAdminService> {
  const { metadata } = deps;
  return {
    async updateSnapshot(req, ctx) {
      const s = await metadata.update(
        req.storeId,
        req.snapshotId,
        req.etag,
        req.updateMask?.paths ?? [],
        { tags: req.tags, labels: req.labels ?? {} },
        auditOf(ctx),
      );
      return { snapshot: snapshotToPb(s) };
    },
    async pinSnapshot(req, ctx) {
      const protection = { reason: req.reason, expireTime: dateOf(req.expireTime, "expire_time") };
      return { snapshot: snapshotToPb(await metadata.pin(req.storeId, req.snapshotId, req.etag, protection, auditOf(ctx))) };
    },
    async unpinSnapshot(req, ctx) {
      return { snapshot: snapshotToPb(await metadata.unpin(req.storeId, req.snapshotId, req.etag, auditOf(ctx))) };
    },
    async lockSnapshot(req, ctx) {
      const protection = { reason: req.reason, expireTime: dateOf(req.expireTime, "expire_time") };
      return { snapshot: snapshotToPb(await metadata.lock(req.storeId, req.snapshotId, req.etag, protection, auditOf(ctx))) };
    },
    async unlockSnapshot(req, ctx) {
      return { snapshot: snapshotToPb(await metadata.unlock(req.storeId, req.snapshotId, req.etag, auditOf(ctx))) };
    },
    async setLegalHold(req, ctx) {
      return { snapshot: snapshotToPb(await metadata.hold(req.storeId, req.snapshotId, req.etag, req.reason, auditOf(ctx))) };
    },
    async releaseLegalHold(req, ctx) {
      return { snapshot: snapshotToPb(await metadata.releaseHold(req.storeId, req.snapshotId, req.etag, auditOf(ctx))) };
    },
  };
}
