import type { ServiceImpl } from "@connectrpc/connect";
import { VersionService } from "../../../gen/vellum/v1/version_service_pb.js";
import type { VersionUseCases } from "../domain/versions/service.js";
import { auditOf, callerOf } from "./context.js";
import { dateOf, snapshotToPb, versionToPb } from "./convert.js";

export function createVersionServiceImpl(versions: VersionUseCases): ServiceImpl<typeof VersionService> {
  const keyOf = (r: { storeId: string; resourceType: string; resourceId: string }) => ({
    storeId: r.storeId,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
  });
  return {
    async listVersions(req) {
      const page = await versions.list(keyOf(req), req.pageSize, req.pageToken, dateOf(req.since, "since"));
      return { versions: page.versions.map(versionToPb), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },
    async getVersion(req) {
      const { version, snapshot } = await versions.get(keyOf(req), Number(req.version));
      return { version: versionToPb(version), snapshot: snapshotToPb(snapshot) };
    },
    async createVersion(req, ctx) {
      const v = await versions.create(keyOf(req), req.snapshotId, req.notes, req.authorId || callerOf(ctx).id, auditOf(ctx), req.idempotencyKey);
      return { version: versionToPb(v) };
    },
    async getLatestVersion(req) {
      const { version, snapshot } = await versions.latest(keyOf(req));
      return { version: versionToPb(version), snapshot: snapshotToPb(snapshot) };
    },
  };
}
