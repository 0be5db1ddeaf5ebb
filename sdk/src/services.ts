/**
 * The services `createVellumClient` exposes: one row per service, the property name on
 * VellumClient and the generated descriptor. sdk/test/client-services.test.ts walks the server's
 * registry (SERVICES in server/src/app.ts) and fails when a served service has no row here, or when
 * its generated messages are not exported from gen.ts.
 *
 * Adding a service: import its descriptor, add its row, and add its generated files to gen.ts.
 */
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { EventService } from "../../gen/vellum/v1/event_service_pb.js";
import { LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { WebhookService } from "../../gen/vellum/v1/webhook_service_pb.js";
import { RestoreService } from "../../gen/vellum/v1/restore_service_pb.js";
import { PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { RetentionService } from "../../gen/vellum/v1/retention_service_pb.js";
import { SearchService } from "../../gen/vellum/v1/search_service_pb.js";
import { StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { CompareService } from "../../gen/vellum/v1/compare_service_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import { TransferService } from "../../gen/vellum/v1/transfer_service_pb.js";
import { ComposeService } from "../../gen/vellum/v1/compose_service_pb.js";

export const VELLUM_SERVICES = {
  /** Create, upload, download, get, list, delete and verify snapshots. */
  snapshots: SnapshotService,
  /** Resumable sessions and the client-side-dedup path (see uploadSnapshotIncremental in the node entry). */
  uploads: UploadService,
  /** A resource's version history. */
  versions: VersionService,
  /** Long-running jobs: get, list, cancel, watch. */
  jobs: JobService,
  /** Diffs between snapshots and redacted previews. */
  compare: CompareService,
  /** Tags, labels, pins and locks of existing snapshots (etag-guarded). */
  snapshotAdmin: SnapshotAdminService,
  /** Expiring, revocable share links. */
  shares: ShareService,
  /** The hash-chained audit log. */
  audit: AuditService,
  /** API key administration. */
  apiKeys: ApiKeyService,
  /** Retention rules, explained dry runs (PreviewRetention) and retention runs. */
  retention: RetentionService,
  /** Storage usage by snapshot type, tag and resource type. */
  storage: StorageService,
  /** Tags with live counts, immutable annotations, HasSnapshots. */
  catalog: CatalogService,
  /** Full-text search with highlights and facets; samples for list views. */
  search: SearchService,
  /** Lineage graphs (GetLineage) and downstream consumers (RegisterConsumer). */
  lineage: LineageService,
  /** A store's events: WatchEvents (live, resumable; see watchEvents) and ListEvents (polling). */
  events: EventService,
  /** Webhooks signed per Standard Webhooks, their secrets and delivery records. */
  webhooks: WebhookService,
  /** Restore targets, restores (dry run, apply, preview + confirm), rollbacks and restore approvals. */
  restore: RestoreService,
  /** Snapshot policies (cron, on-change, on-publish, manual captures), their runs, NotifyChange. */
  policies: PolicyService,
  /** Export archives to gs://, file:// or https destinations, and import them (or share links). */
  transfer: TransferService,
  /** Compose several snapshots into a new one (overlay, union, JSON patch; tar overlay). */
  compose: ComposeService,
  /** Standard gRPC health checking. */
  health: Health,
} as const;

export type VellumServices = typeof VELLUM_SERVICES;
