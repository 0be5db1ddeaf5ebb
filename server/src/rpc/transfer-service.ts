import type { ServiceImpl } from "@connectrpc/connect";
import { TransferService } from "../../../gen/vellum/v1/transfer_service_pb.js";
import type { ExportUseCases } from "../domain/transfer/export-use-cases.js";
import type { ImportUseCases } from "../domain/transfer/import-use-cases.js";
import { auditOf, callerOf } from "./context.js";
import { jobToPb, metadataFromPb } from "./convert.js";

/** TransferService: ExportSnapshot and ImportSnapshot, each queuing a job. */
export function createTransferServiceImpl(deps: { transfer: { exports: ExportUseCases; imports: ImportUseCases } }): ServiceImpl<typeof TransferService> {
  const { exports, imports } = deps.transfer;
  return {
    async exportSnapshot(req, ctx) {
      const job = await exports.start(
        {
          storeId: req.storeId,
          snapshotId: req.snapshotId,
          destination: req.destination,
          encrypt: req.encrypt,
          encryptionKey: req.encryptionKey,
          signingSecret: req.signingSecret,
          notifyWebhook: req.notifyWebhook,
          priority: req.priority,
        },
        { actor: callerOf(ctx).id, audit: auditOf(ctx) },
      );
      return { job: jobToPb(job) };
    },
    async importSnapshot(req, ctx) {
      const job = await imports.start(
        {
          storeId: req.storeId,
          source: req.source,
          resourceType: req.resourceType,
          resourceId: req.resourceId,
          metadata: metadataFromPb(req.metadata),
          decryptionKey: req.decryptionKey,
          priority: req.priority,
        },
        { actor: callerOf(ctx).id, audit: auditOf(ctx) },
      );
      return { job: jobToPb(job) };
    },
  };
}
