import { createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { file_grpc_health_v1_health, Health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflection as ReflectionV1alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { CompareService, file_vellum_v1_compare_service } from "../../gen/vellum/v1/compare_service_pb.js";
import { file_vellum_v1_job_service, JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { file_vellum_v1_snapshot_service, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { file_vellum_v1_upload_service, UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { file_vellum_v1_version_service, VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import { ApiKeyService, file_vellum_v1_api_key_service } from "../../gen/vellum/v1/api_key_service_pb.js";
import { AuditService, file_vellum_v1_audit_service } from "../../gen/vellum/v1/audit_service_pb.js";
import { file_vellum_v1_share_service, ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { file_vellum_v1_snapshot_admin_service, SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { file_vellum_v1_retention_service, RetentionService } from "../../gen/vellum/v1/retention_service_pb.js";
import { file_vellum_v1_policy_service, PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { file_vellum_v1_storage_service, StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { createRetentionServiceImpl } from "./rpc/retention-service.js";
import { createPolicyServiceImpl } from "./rpc/policy-service.js";
import { createStorageServiceImpl } from "./rpc/storage-service.js";
import type { RetentionUseCaseSet } from "./wiring/retention.js";
import type { PoliciesUseCases } from "./wiring/policies.js";
import type { TiersUseCases } from "./wiring/tiers.js";
import { CatalogService, file_vellum_v1_catalog_service } from "../../gen/vellum/v1/catalog_service_pb.js";
import { file_vellum_v1_search_service, SearchService } from "../../gen/vellum/v1/search_service_pb.js";
import { createCatalogServiceImpl } from "./rpc/catalog-service.js";
import { createSearchServiceImpl } from "./rpc/search-service.js";
import type { CatalogUseCases } from "./wiring/catalog.js";
import { file_vellum_v1_lineage_service, LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { createLineageServiceImpl } from "./rpc/lineage-service.js";
import type { LineageUseCases } from "./wiring/lineage.js";
import { EventService, file_vellum_v1_event_service } from "../../gen/vellum/v1/event_service_pb.js";
import { createEventServiceImpl } from "./rpc/event-service.js";
import type { EventsUseCases } from "./wiring/events.js";
import { file_vellum_v1_webhook_service, WebhookService } from "../../gen/vellum/v1/webhook_service_pb.js";
import { createWebhookServiceImpl } from "./rpc/webhook-service.js";
import type { WebhooksUseCases } from "./wiring/webhooks.js";
import { file_vellum_v1_restore_service, RestoreService } from "../../gen/vellum/v1/restore_service_pb.js";
import { createRestoreServiceImpl } from "./rpc/restore-service.js";
import type { RestoreWiring } from "./wiring/restore.js";
import type { AuditQueries } from "./domain/audit/audit-queries.js";
import type { ApiKeyAdmin } from "./domain/auth/api-key-admin.js";
import type { RateLimiter } from "./domain/ratelimit/rate-limiter.js";
import type { ShareUseCases } from "./domain/share/share-use-cases.js";
import type { SnapshotMetadataUseCases } from "./domain/snapshots/metadata-updates.js";
import { bodyEndedByClient } from "./http/body-end.js";
import { createClientAddress, type ProxyTrust } from "./http/client-address.js";
import { withShareDownloads } from "./http/download-route.js";
import { withMetricsRoute } from "./http/metrics-route.js";
import { createMetrics, type PoolGauges } from "./observability/metrics.js";
import { requireAuthority } from "./http/require-authority.js";
import { createRpcHandler } from "./http/rpc-handler.js";
import { closeUnreadBodies } from "./http/unread-body.js";
import { createAccessInterceptor } from "./rpc/access-interceptor.js";
import { createApiKeyServiceImpl } from "./rpc/api-key-service.js";
import { createAuditServiceImpl } from "./rpc/audit-service.js";
import { clientEndedKey, createClientStreamEndInterceptor } from "./rpc/client-stream-end.js";
import { clientIpKey } from "./rpc/context.js";
import { createRequestGate } from "./rpc/request-gate.js";
import { createShareServiceImpl } from "./rpc/share-service.js";
import { createSnapshotAdminServiceImpl } from "./rpc/snapshot-admin-service.js";
import type { UploadUseCases } from "./domain/uploads/service.js";
import { createUploadServiceImpl, routeUploadService } from "./rpc/upload-service.js";
import { requestParsing } from "./rpc/request-parsing.js";
import type { PreviewUseCases } from "./domain/compare/preview-snapshot.js";
import type { CompareUseCases } from "./domain/compare/service.js";
import type { JobUseCases } from "./domain/jobs/service.js";
import type { SnapshotUseCases } from "./domain/snapshots/service.js";
import type { VersionUseCases } from "./domain/versions/service.js";
import type { Logger } from "./lib/logger.js";
import type { Authenticate } from "./rpc/request-gate.js";
import { createCompareServiceImpl } from "./rpc/compare-service.js";
import { createDeadlineInterceptor, PROTOCOL_MAX_TIMEOUT_MS, type DeadlineLimits } from "./rpc/deadline-interceptor.js";
import { createStreamIdleInterceptor } from "./rpc/stream-idle-interceptor.js";
import { createHealthImpl, createHealthRegistry } from "./rpc/health.js";
import { createObservabilityInterceptor } from "./rpc/interceptors.js";
import { createJobServiceImpl } from "./rpc/job-service.js";
import { createReflection } from "./rpc/reflection.js";
import { createSnapshotServiceImpl } from "./rpc/snapshot-service.js";
import { createVersionServiceImpl } from "./rpc/version-service.js";
import { createTransferServiceImpl } from "./rpc/transfer-service.js";
import { file_vellum_v1_transfer_service, TransferService } from "../../gen/vellum/v1/transfer_service_pb.js";
import type { TransferUseCases } from "./wiring/transfer.js";
import { createComposeServiceImpl } from "./rpc/compose-service.js";
import { ComposeService, file_vellum_v1_compose_service } from "../../gen/vellum/v1/compose_service_pb.js";
import type { ComposeWiring } from "./wiring/compose-snapshots.js";

/** Limits the RPC layer enforces: message size, stream idle time and deadline rules (createDeadlineInterceptor). */
export type RpcLimits = { maxMessageBytes: number; streamIdleTimeoutMs: number } & DeadlineLimits;

export interface AppDeps
  extends CatalogUseCases,
    Pick<LineageUseCases, "lineageGraph">,
    Pick<EventsUseCases, "events">,
    WebhooksUseCases,
    RestoreWiring,
    TransferUseCases,
    ComposeWiring {
  snapshots: SnapshotUseCases;
  uploads: UploadUseCases;
  versions: VersionUseCases;
  jobs: JobUseCases;
  compare: CompareUseCases;
  previews: PreviewUseCases;
  metadata: SnapshotMetadataUseCases;
  apiKeys: ApiKeyAdmin;
  audit: AuditQueries;
  shares: ShareUseCases;
  retention: RetentionUseCaseSet;
  policies: PoliciesUseCases["policies"];
  tiers: TiersUseCases["tiers"];
  /** Per principal+store token buckets (read and write budgets). */
  limiter: RateLimiter;
  /** Origin for signed share URLs; default: the origin each request was sent to. */
  publicUrl?: string;
  authenticate: Authenticate;
  log: Logger;
  /** Largest message in either direction, and deadline rules (see createDeadlineInterceptor). */
  limits: RpcLimits;
  /** Proxies whose forwarding header names the client; without it the TCP peer is the client. */
  proxies?: ProxyTrust;
  /** Serve `GET /metrics` (http/metrics-route.ts), with the database pool's slots when given; no metrics when absent. */
  metrics?: { pool?: PoolGauges };
}

/** Every service the server registers; reflection lists these and the scope test walks them. */
export const SERVICES = [
  SnapshotService,
  UploadService,
  VersionService,
  JobService,
  CompareService,
  SnapshotAdminService,
  ApiKeyService,
  AuditService,
  ShareService,
  RetentionService,
  StorageService,
  CatalogService,
  SearchService,
  LineageService,
  EventService,
  WebhookService,
  RestoreService,
  PolicyService,
  TransferService,
  ComposeService,
  Health,
  ReflectionV1,
  ReflectionV1alpha,
];

/** Registers all services on a router. Shared by the HTTP server and in-memory test transports. */
export function createRoutes(deps: AppDeps) {
  const health = createHealthRegistry(SERVICES.map((s) => s.typeName));
  const reflection = createReflection(
    [
      file_vellum_v1_snapshot_service,
      file_vellum_v1_upload_service,
      file_vellum_v1_version_service,
      file_vellum_v1_job_service,
      file_vellum_v1_compare_service,
      file_vellum_v1_snapshot_admin_service,
      file_vellum_v1_api_key_service,
      file_vellum_v1_audit_service,
      file_vellum_v1_share_service,
      file_vellum_v1_retention_service,
      file_vellum_v1_storage_service,
      file_vellum_v1_catalog_service,
      file_vellum_v1_search_service,
      file_vellum_v1_lineage_service,
      file_vellum_v1_event_service,
      file_vellum_v1_webhook_service,
      file_vellum_v1_restore_service,
      file_vellum_v1_policy_service,
      file_vellum_v1_transfer_service,
      file_vellum_v1_compose_service,
      file_grpc_health_v1_health,
      file_grpc_reflection_v1_reflection,
      file_grpc_reflection_v1alpha_reflection,
    ],
    SERVICES.map((s) => s.typeName),
  );
  const routes = (router: ConnectRouter) => {
    router.service(SnapshotService, createSnapshotServiceImpl({ ...deps, ...deps.retention }));
    routeUploadService(router, createUploadServiceImpl(deps.uploads), deps.limits.maxMessageBytes);
    router.service(VersionService, createVersionServiceImpl(deps.versions));
    router.service(JobService, createJobServiceImpl(deps.jobs));
    router.service(
      CompareService,
      createCompareServiceImpl({ compare: deps.compare, previews: deps.previews, maxMessageBytes: deps.limits.maxMessageBytes }),
    );
    router.service(SnapshotAdminService, createSnapshotAdminServiceImpl(deps));
    router.service(ApiKeyService, createApiKeyServiceImpl(deps));
    router.service(AuditService, createAuditServiceImpl(deps));
    router.service(ShareService, createShareServiceImpl(deps));
    router.service(RetentionService, createRetentionServiceImpl(deps.retention));
    router.service(StorageService, createStorageServiceImpl({ ...deps.retention, tiers: deps.tiers }));
    router.service(CatalogService, createCatalogServiceImpl(deps));
    router.service(SearchService, createSearchServiceImpl(deps));
    router.service(LineageService, createLineageServiceImpl(deps));
    router.service(EventService, createEventServiceImpl(deps));
    router.service(WebhookService, createWebhookServiceImpl(deps));
    router.service(RestoreService, createRestoreServiceImpl(deps));
    router.service(PolicyService, createPolicyServiceImpl(deps));
    router.service(TransferService, createTransferServiceImpl(deps));
    router.service(ComposeService, createComposeServiceImpl(deps));
    router.service(Health, createHealthImpl(health));
    router.service(ReflectionV1, reflection.v1);
    router.service(ReflectionV1alpha, reflection.v1alpha);
  };
  // The gate authenticates before any body byte is read; the interceptors then see the message.
  const requestGate = createRequestGate({ authenticate: deps.authenticate, log: deps.log });
  const interceptors = [
    createObservabilityInterceptor(deps.log),
    createDeadlineInterceptor(deps.limits),
    createClientStreamEndInterceptor(),
    createStreamIdleInterceptor(deps.limits.streamIdleTimeoutMs),
    createAccessInterceptor({ limiter: deps.limiter }),
  ];
  return { routes, health, interceptors, requestGate };
}

/**
 * Builds the Node request handler serving gRPC, gRPC-Web and Connect for every route, the share
 * download route and, when `deps.metrics` is set, `GET /metrics` from a registry this app owns.
 */
export function createApp(deps: AppDeps) {
  const { routes, health, interceptors, requestGate } = createRoutes(deps);
  const clientAddress = createClientAddress(deps.proxies);
  const metrics = deps.metrics ? createMetrics(deps.metrics) : undefined;
  const rpc = createRpcHandler({
    routes,
    interceptors,
    requestGate,
    contextValues: (req) =>
      createContextValues().set(clientIpKey, clientAddress(req)).set(clientEndedKey, bodyEndedByClient(req)),
    readMaxBytes: deps.limits.maxMessageBytes,
    writeMaxBytes: deps.limits.maxMessageBytes,
    ...requestParsing(deps.limits.maxMessageBytes),
    // Accept long client deadlines here so the deadline interceptor can cap them at
    // limits.maxTimeoutMs instead of the protocol layer refusing them.
    maxTimeoutMs: PROTOCOL_MAX_TIMEOUT_MS,
    // Never compress responses: snapshot content is already compressed (or incompressible), and
    // gzip on a download stream costs ~6x its throughput. Compressed requests are still accepted.
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    meter: metrics?.method,
  }, deps.log);
  const routed = withShareDownloads(closeUnreadBodies(rpc), { ...deps, clientAddress, meter: metrics?.shareDownload });
  const handler = requireAuthority(
    metrics ? withMetricsRoute(routed, { registry: metrics.registry, authenticate: deps.authenticate, clientAddress, log: deps.log }) : routed,
  );
  return { handler, health };
}
