/**
 * The generated messages and enums of every service in services.ts, re-exported so callers build
 * requests with `create(XSchema, ...)` and read enums without reaching into the generated code.
 */
export * from "../../gen/vellum/v1/snapshot_pb.js";
export * from "../../gen/vellum/v1/snapshot_service_pb.js";
export * from "../../gen/vellum/v1/upload_pb.js";
export * from "../../gen/vellum/v1/upload_service_pb.js";
export * from "../../gen/vellum/v1/version_pb.js";
export * from "../../gen/vellum/v1/version_service_pb.js";
export * from "../../gen/vellum/v1/job_pb.js";
export * from "../../gen/vellum/v1/job_service_pb.js";
export * from "../../gen/vellum/v1/compare_pb.js";
export * from "../../gen/vellum/v1/compare_service_pb.js";
export * from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
export * from "../../gen/vellum/v1/share_pb.js";
export * from "../../gen/vellum/v1/share_service_pb.js";
export * from "../../gen/vellum/v1/audit_pb.js";
export * from "../../gen/vellum/v1/audit_service_pb.js";
export * from "../../gen/vellum/v1/api_key_pb.js";
export * from "../../gen/vellum/v1/api_key_service_pb.js";
export * from "../../gen/vellum/v1/retention_pb.js";
export * from "../../gen/vellum/v1/retention_service_pb.js";
export * from "../../gen/vellum/v1/storage_pb.js";
export * from "../../gen/vellum/v1/storage_service_pb.js";
export * from "../../gen/vellum/v1/catalog_pb.js";
export * from "../../gen/vellum/v1/catalog_service_pb.js";
export * from "../../gen/vellum/v1/search_pb.js";
export * from "../../gen/vellum/v1/search_service_pb.js";
export * from "../../gen/vellum/v1/lineage_pb.js";
export * from "../../gen/vellum/v1/lineage_service_pb.js";
export * from "../../gen/vellum/v1/event_pb.js";
export * from "../../gen/vellum/v1/event_service_pb.js";
export * from "../../gen/vellum/v1/webhook_pb.js";
export * from "../../gen/vellum/v1/webhook_service_pb.js";
export * from "../../gen/vellum/v1/restore_pb.js";
export * from "../../gen/vellum/v1/restore_service_pb.js";
export * from "../../gen/vellum/v1/restore_target_pb.js";
export * from "../../gen/vellum/v1/policy_pb.js";
export * from "../../gen/vellum/v1/policy_service_pb.js";
export * from "../../gen/vellum/v1/transfer_service_pb.js";
export * from "../../gen/vellum/v1/compose_service_pb.js";
export * from "../../gen/grpc/health/v1/health_pb.js";
