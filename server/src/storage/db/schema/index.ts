export * from "./idempotency.js";
export * from "./jobs.js";
export * from "./snapshots.js";
export * from "./versions.js";
export * from "./chunks.js";
export * from "./api-keys.js";
export * from "./audit.js";
export * from "./shares.js";
