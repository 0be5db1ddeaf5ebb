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
  toVellumError,
  UnsupportedTransportError,
  VellumError,
  type FieldViolation,
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
} from "./download.js";
export { listApiKeys, listJobs, listShares, listSnapshots, listVersions, paginate, type Paged } from "./paginate.js";
export * from "./gen.js";
