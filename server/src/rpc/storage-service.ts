import type { ServiceImpl } from "@connectrpc/connect";
import { StorageService } from "../../../gen/vellum/v1/storage_service_pb.js";
import type { UsageUseCases } from "../domain/usage/usage-use-cases.js";
import { usageToPb } from "./retention-convert.js";

/** StorageService: storage accounting. */
export function createStorageServiceImpl(deps: { usage: UsageUseCases }): ServiceImpl<typeof StorageService> {
  return {
    async getStorageUsage(req) {
      return { usage: usageToPb(await deps.usage.storageUsage(req.storeId)) };
    },
  };
}
