/**
 * Vellum SDK, Node entry (`@vellum/sdk/node`): everything from the browser-safe entry, plus
 * helpers that need Node: uploads from file paths and verified downloads to files or writables.
 * `uploadSnapshot` here is a superset of the browser one (it also accepts a file path).
 */
export * from "./index.js";
export { sha256File, uploadSnapshot, type NodeUploadOptions, type NodeUploadSource } from "./node/upload-file.js";
export { createFrameDecoder } from "./node/frame-decoder.js";
export { DEFAULT_RESUME, downloadSnapshotTo, downloadSnapshotToFile, type DownloadToFileOptions, type DownloadToOptions } from "./node/download-to.js";
export {
  uploadSnapshotIncremental,
  type IncrementalUploadOptions,
  type IncrementalUploadResult,
} from "./node/incremental-upload.js";
export {
  BULK_CONNECTION_WINDOW_BYTES,
  BULK_STREAM_WINDOW_BYTES,
  BulkHttp2SessionManager,
  createBulkGrpcTransport,
  type BulkTransportOptions,
} from "./node/bulk-transport.js";
export { createRestoreTarget, type PlannedChange, type RestoreInput, type RestoreTargetHandlers, type RestoreTargetOptions } from "./node/restore-target.js";
