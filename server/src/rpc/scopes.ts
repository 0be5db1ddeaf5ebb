/**
 * The scope every RPC requires, in one table keyed by "<package.Service>/<Method>". A test walks
 * every RPC of every service the server registers and fails when one is missing here.
 * "public" RPCs (health, reflection) need no credentials.
 */
import type { Scope } from "../domain/auth/principal.js";

/** A scope (implications are applied by `hasScope` in domain/auth/principal.ts), or no credentials. */
export type Requirement = Scope | "public";

export const RPC_SCOPES: Readonly<Record<string, Requirement>> = {
  "vellum.v1.SnapshotService/CreateSnapshot": "snapshot:write",
  "vellum.v1.SnapshotService/UploadSnapshot": "snapshot:write",
  "vellum.v1.SnapshotService/DownloadSnapshot": "snapshot:read",
  "vellum.v1.SnapshotService/GetSnapshot": "snapshot:read",
  "vellum.v1.SnapshotService/ListSnapshots": "snapshot:read",
  "vellum.v1.SnapshotService/DeleteSnapshot": "snapshot:admin",
  "vellum.v1.SnapshotService/VerifySnapshot": "snapshot:read",
  "vellum.v1.SnapshotService/CheckStore": "snapshot:admin",
  "vellum.v1.SnapshotService/UndeleteSnapshot": "snapshot:admin",
  "vellum.v1.SnapshotService/SummarizeSnapshots": "snapshot:read",
  "vellum.v1.SnapshotService/BatchCreateSnapshots": "snapshot:write",
  "vellum.v1.UploadService/StartUpload": "snapshot:write",
  "vellum.v1.UploadService/GetUpload": "snapshot:write",
  "vellum.v1.UploadService/CancelUpload": "snapshot:write",
  "vellum.v1.UploadService/FindMissingChunks": "snapshot:write",
  "vellum.v1.UploadService/UploadChunks": "snapshot:write",
  "vellum.v1.UploadService/CommitSnapshot": "snapshot:write",
  "vellum.v1.VersionService/ListVersions": "snapshot:read",
  "vellum.v1.VersionService/GetVersion": "snapshot:read",
  "vellum.v1.VersionService/CreateVersion": "snapshot:write",
  "vellum.v1.VersionService/GetLatestVersion": "snapshot:read",
  "vellum.v1.JobService/GetJob": "snapshot:read",
  "vellum.v1.JobService/ListJobs": "snapshot:read",
  "vellum.v1.JobService/CancelJob": "snapshot:write",
  "vellum.v1.JobService/WatchJob": "snapshot:read",
  "vellum.v1.SnapshotAdminService/UpdateSnapshot": "snapshot:write",
  "vellum.v1.SnapshotAdminService/PinSnapshot": "snapshot:write",
  "vellum.v1.SnapshotAdminService/UnpinSnapshot": "snapshot:write",
  "vellum.v1.SnapshotAdminService/LockSnapshot": "snapshot:admin",
  "vellum.v1.SnapshotAdminService/UnlockSnapshot": "snapshot:admin",
  "vellum.v1.SnapshotAdminService/SetLegalHold": "snapshot:admin",
  "vellum.v1.SnapshotAdminService/ReleaseLegalHold": "snapshot:admin",
  // Retention decides what is deleted: rules, previews and runs are for admins.
  "vellum.v1.RetentionService/CreateRetentionRule": "snapshot:admin",
  "vellum.v1.RetentionService/GetRetentionRule": "snapshot:admin",
  "vellum.v1.RetentionService/ListRetentionRules": "snapshot:admin",
  "vellum.v1.RetentionService/UpdateRetentionRule": "snapshot:admin",
  "vellum.v1.RetentionService/DeleteRetentionRule": "snapshot:admin",
  "vellum.v1.RetentionService/PreviewRetention": "snapshot:admin",
  "vellum.v1.RetentionService/RunRetention": "snapshot:admin",
  "vellum.v1.StorageService/GetStorageUsage": "snapshot:admin",
  "vellum.v1.StorageService/SetStorageClass": "snapshot:admin",
  "vellum.v1.StorageService/RehydrateSnapshot": "snapshot:admin",
  // Policies create snapshots on their own: managing and running them is for admins; owning
  // services that report changes need only write.
  "vellum.v1.PolicyService/CreatePolicy": "snapshot:admin",
  "vellum.v1.PolicyService/GetPolicy": "snapshot:read",
  "vellum.v1.PolicyService/ListPolicies": "snapshot:read",
  "vellum.v1.PolicyService/UpdatePolicy": "snapshot:admin",
  "vellum.v1.PolicyService/DeletePolicy": "snapshot:admin",
  "vellum.v1.PolicyService/RunPolicy": "snapshot:admin",
  "vellum.v1.PolicyService/GetPolicyRun": "snapshot:read",
  "vellum.v1.PolicyService/ListPolicyRuns": "snapshot:read",
  "vellum.v1.PolicyService/NotifyChange": "snapshot:write",
  "vellum.v1.ApiKeyService/CreateApiKey": "snapshot:admin",
  "vellum.v1.ApiKeyService/ListApiKeys": "snapshot:admin",
  "vellum.v1.ApiKeyService/RevokeApiKey": "snapshot:admin",
  // Reading a snapshot's history is part of reading the snapshot; the whole log is for admins.
  "vellum.v1.AuditService/GetSnapshotAudit": "snapshot:read",
  "vellum.v1.AuditService/ListAuditEvents": "snapshot:admin",
  "vellum.v1.AuditService/VerifyAuditChain": "snapshot:admin",
  // Bulk export is never implied by admin (see domain/auth/principal.ts).
  "vellum.v1.AuditService/ExportAuditEvents": "snapshot:export",
  // A share link hands the snapshot to whoever holds it: needs read and write, i.e. admin.
  "vellum.v1.ShareService/ShareSnapshot": "snapshot:admin",
  "vellum.v1.ShareService/RevokeShare": "snapshot:admin",
  "vellum.v1.ShareService/ListShares": "snapshot:admin",
  // The share token is the credential; the handler verifies it.
  "vellum.v1.ShareService/ResolveShare": "public",
  "vellum.v1.CompareService/CompareSnapshots": "snapshot:read",
  "vellum.v1.CompareService/StartCompare": "snapshot:read",
  "vellum.v1.CompareService/PreviewSnapshot": "snapshot:read",
  "vellum.v1.CatalogService/AddTags": "snapshot:write",
  "vellum.v1.CatalogService/RemoveTag": "snapshot:write",
  "vellum.v1.CatalogService/ListTags": "snapshot:read",
  "vellum.v1.CatalogService/AddAnnotation": "snapshot:write",
  "vellum.v1.CatalogService/ListAnnotations": "snapshot:read",
  "vellum.v1.CatalogService/HasSnapshots": "snapshot:read",
  "vellum.v1.SearchService/SearchSnapshots": "snapshot:read",
  "vellum.v1.SearchService/SampleSnapshots": "snapshot:read",
  "vellum.v1.LineageService/GetLineage": "snapshot:read",
  "vellum.v1.LineageService/RegisterConsumer": "snapshot:write",
  "vellum.v1.EventService/WatchEvents": "snapshot:read",
  "vellum.v1.EventService/ListEvents": "snapshot:read",
  // Webhooks send the store's events to a URL of the caller's choosing: admins only.
  "vellum.v1.WebhookService/CreateWebhook": "snapshot:admin",
  "vellum.v1.WebhookService/ListWebhooks": "snapshot:admin",
  "vellum.v1.WebhookService/UpdateWebhook": "snapshot:admin",
  "vellum.v1.WebhookService/DeleteWebhook": "snapshot:admin",
  "vellum.v1.WebhookService/RotateWebhookSecret": "snapshot:admin",
  "vellum.v1.WebhookService/ListDeliveries": "snapshot:admin",
  "vellum.v1.WebhookService/RedeliverWebhook": "snapshot:admin",
  // Target registrations reach into owning services: admins only. Restores change live data.
  "vellum.v1.RestoreService/RegisterRestoreTarget": "snapshot:admin",
  "vellum.v1.RestoreService/ListRestoreTargets": "snapshot:read",
  "vellum.v1.RestoreService/UpdateRestoreTarget": "snapshot:admin",
  "vellum.v1.RestoreService/DeleteRestoreTarget": "snapshot:admin",
  "vellum.v1.RestoreService/RestoreSnapshot": "snapshot:write",
  "vellum.v1.RestoreService/ConfirmRestore": "snapshot:write",
  "vellum.v1.RestoreService/GetRestore": "snapshot:read",
  "vellum.v1.RestoreService/RollbackResource": "snapshot:write",
  "vellum.v1.RestoreService/RequestRestoreApproval": "snapshot:write",
  // Deciding an approval is for an administrator other than the initiator (domain/restore/approvals.ts).
  "vellum.v1.RestoreService/ApproveRestore": "snapshot:admin",
  "vellum.v1.RestoreService/RejectRestore": "snapshot:admin",
  "vellum.v1.RestoreService/ListApprovals": "snapshot:read",
  // An export hands a snapshot's bytes outside Vellum: the export scope, implied by nothing.
  "vellum.v1.TransferService/ExportSnapshot": "snapshot:export",
  "vellum.v1.TransferService/ImportSnapshot": "snapshot:write",
  "vellum.v1.ComposeService/ComposeSnapshots": "snapshot:write",
  "grpc.health.v1.Health/Check": "public",
  "grpc.health.v1.Health/Watch": "public",
  "grpc.health.v1.Health/List": "public",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "public",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "public",
};

export function requirementOf(service: string, method: string): Requirement | undefined {
  return RPC_SCOPES[`${service}/${method}`];
}
