/**
 * Vellum SDK, browser-safe entry (`@vellum/sdk`). Imports nothing from Node: use it with
 * `@connectrpc/connect-web` in browsers or any transport in Node. Node-only helpers (file paths,
 * Node streams, SHA-256-verified downloads to disk) live in `@vellum/sdk/node`.
 */
export { createVellumClient, type CallOptions, type VellumClient, type VellumClientOptions } from "./client.js";
export { VELLUM_SERVICES, type VellumServices } from "./services.js";
export { DEFAULT_RETRY_OPTIONS, type RetryEvent, type RetryOptions } from "./retry-policy.js";
export { isRetrySafe } from "./vellum-transport.js";
export {
  Code,
  codeName,
  IntegrityError,
  isVellumError,
  ResourceVersionExistsError,
  statusError,
  toVellumError,
  UnsupportedTransportError,
  VellumError,
  type FieldViolation,
  type VellumErrorInit,
  type VellumErrorName,
} from "./errors.js";
export { bytesOf, rechunk, type ByteSource } from "./byte-source.js";
export {
  create,
  fromJson,
  jsonPayload,
  timestampDate,
  timestampFromDate,
  toJson,
  toJsonString,
  ValueSchema,
  type JsonObject,
  type JsonValue,
} from "./json.js";
export {
  DEFAULT_UPLOAD_CHUNK_BYTES,
  MAX_UPLOAD_CHUNK_BYTES,
  uploadSnapshot,
  type UploadHeader,
  type UploadOptions,
} from "./upload.js";
export {
  downloadSnapshot,
  downloadSnapshotBytes,
  expectedRangeSize,
  isWholeDownload,
  type DownloadBytesOptions,
  type DownloadOptions,
  type DownloadRequest,
  type FrameDecoder,
  type FramesMessage,
} from "./download.js";
export { listApiKeys, listJobs, listShares, listSnapshots, listVersions, paginate, type Paged } from "./paginate.js";
export {
  addAnnotation,
  addTags,
  hasSnapshots,
  listAnnotations,
  listTags,
  removeTag,
  sampleSnapshots,
  searchSnapshots,
  type SearchPaged,
} from "./catalog.js";
export { getLineage, lineageGraph, lineageKey, registerConsumer, type LineageGraph, type LineageLink } from "./lineage.js";
export {
  approveRestore,
  confirmRestore,
  getRestore,
  isSettled,
  listApprovals,
  listRestoreTargets,
  registerRestoreTarget,
  rejectRestore,
  requestRestoreApproval,
  restoreAndWait,
  restoreSnapshot,
  rollbackResource,
  waitForRestore,
  WAITING_STATES,
} from "./restore.js";
export {
  BatchCreateError,
  batchCreateSnapshots,
  MAX_BATCH_ITEMS,
  MAX_BATCH_PAYLOAD_BYTES,
  MAX_BATCH_REQUEST_BYTES,
  type BatchCreateOptions,
  type BatchItem,
  type BatchItemResult,
} from "./batch-create.js";
export { createSnapshotOnce } from "./resource-version.js";
export { listEvents, watchEvents, type WatchOptions } from "./events.js";
export {
  createWebhook,
  listDeliveries,
  listWebhooks,
  redeliverWebhook,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookChanges,
  type WebhookWithSecret,
} from "./webhooks.js";
export { listPolicies, listPolicyRuns, listRetentionRules, policyRunEnded, waitForPolicyRun } from "./policies.js";
export {
  composeConflicts,
  composeSnapshots,
  exportSnapshot,
  EXPORT_KEY_BYTES,
  importSnapshot,
  parseExportKey,
  waitForJob,
  type ComposeConflict,
} from "./jobs.js";
export * from "./gen.js";
