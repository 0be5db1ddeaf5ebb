import type { ServiceImpl } from "@connectrpc/connect";
import { StorageService } from "../../../gen/vellum/v1/storage_service_pb.js";
import { StorageClass as PbStorageClass } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { StorageClass } from "../domain/snapshots/types.js";
import type { TierUseCases } from "../domain/tiers/tier-use-cases.js";
import type { UsageUseCases } from "../domain/usage/usage-use-cases.js";
import { auditOf, callerOf } from "./context.js";
import { jobToPb, snapshotToPb } from "./convert.js";
import { usageToPb } from "./retention-convert.js";

const CLASSES: readonly StorageClass[] = ["STANDARD", "COLD", "ARCHIVE"];
const classFromPb = (c: PbStorageClass): StorageClass | undefined => CLASSES.find((k) => PbStorageClass[k] === c);

/** StorageService: storage accounting and storage classes. */
export function createStorageServiceImpl(deps: { usage: UsageUseCases; tiers: TierUseCases }): ServiceImpl<typeof StorageService> {
  return {
    async getStorageUsage(req) {
      return { usage: usageToPb(await deps.usage.storageUsage(req.storeId)) };
    },
    async setStorageClass(req, ctx) {
      const r = await deps.tiers.setStorageClass(req.storeId, req.snapshotId, classFromPb(req.storageClass), req.etag, callerOf(ctx).id, auditOf(ctx));
      return { snapshot: snapshotToPb(r.snapshot), job: r.job && jobToPb(r.job) };
    },
    async rehydrateSnapshot(req, ctx) {
      return { job: jobToPb(await deps.tiers.rehydrate(req.storeId, req.snapshotId, callerOf(ctx).id, auditOf(ctx))) };
    },
  };
}
