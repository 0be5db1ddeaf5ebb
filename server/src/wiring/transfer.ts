import type { Storage } from "@google-cloud/storage";
import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import { createExportUseCases, type ExportUseCases } from "../domain/transfer/export-use-cases.js";
import { createImportUseCases, type ImportUseCases } from "../domain/transfer/import-use-cases.js";
import { exportSnapshotKind } from "../jobs/kinds/export-snapshot.js";
import { importSnapshotKind } from "../jobs/kinds/import-snapshot.js";
import { createTransferEndpoints } from "../outbound/transfer/endpoints.js";
import { checkHttpsUrl } from "../outbound/transfer/http-endpoint.js";
import { createWebhookNotifier } from "../outbound/transfer/notify.js";
import { createSecretSealer } from "../storage/engine/sealed-secrets.js";
import type { ContentUseCases } from "./content.js";
import type { JobsUseCases } from "./jobs.js";
import type { LineageUseCases } from "./lineage.js";
import { nothingToClose, type Wired } from "./module.js";
import type { OutboundUseCases } from "./outbound.js";
import type { SnapshotsUseCases } from "./snapshots.js";

export interface TransferUseCases {
  transfer: { exports: ExportUseCases; imports: ImportUseCases };
}

/**
 * Export and import (TransferService; EXPORT_SNAPSHOT and IMPORT_SNAPSHOT jobs) over gs://
 * (the server's Cloud Storage client, VELLUM_GCS_ENDPOINT), file:// (VELLUM_EXPORT_ROOT) and
 * https:// (through the SSRF guard). Secrets in job params are sealed under the master key.
 */
export function wireTransfer(
  config: Pick<Config, "exportRoot" | "gcsEndpoint">,
  deps: Pick<ContentUseCases, "kms"> & Pick<SnapshotsUseCases, "snapshots"> & Pick<JobsUseCases, "jobs"> & OutboundUseCases & LineageUseCases,
): Wired<TransferUseCases> {
  let storage: Promise<Storage> | undefined;
  const gcs = () =>
    (storage ??= import("@google-cloud/storage").then(({ Storage }) =>
      config.gcsEndpoint ? new Storage({ apiEndpoint: config.gcsEndpoint, projectId: "vellum-local" }) : new Storage(),
    ));
  const endpoints = createTransferEndpoints({ exportRoot: config.exportRoot, guard: deps.outbound, storage: gcs });
  const notifier = createWebhookNotifier(deps.outbound);
  const common = { snapshots: deps.snapshots, jobs: deps.jobs, endpoints, sealer: createSecretSealer(deps.kms), lineage: deps.lineage, clock: systemClock };
  const exports = createExportUseCases({
    ...common,
    notify: notifier,
    checkWebhook: async (url, field) => void (await checkHttpsUrl(deps.outbound, url, field)),
  });
  const imports = createImportUseCases(common);
  return {
    useCases: { transfer: { exports, imports } },
    jobKinds: [exportSnapshotKind({ exports }), importSnapshotKind({ imports })],
    close: nothingToClose,
  };
}
