import { create, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType, StorageClass } from "../../gen/vellum/v1/snapshot_pb.js";
import { StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { RetentionService } from "../../gen/vellum/v1/retention_service_pb.js";
import { WebhookService } from "../../gen/vellum/v1/webhook_service_pb.js";
import { PolicyTrigger } from "../../gen/vellum/v1/policy_pb.js";
import { ChangeEvent, PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { SERVICES } from "../src/app.js";
import { hasScope, SCOPES, type Scope } from "../src/domain/auth/principal.js";
import { RPC_SCOPES } from "../src/rpc/scopes.js";
import { startSecureServer, type SecureServer } from "./support/security-fixtures.js";

/**
 * The authorization matrix: every RPC of every registered service x every scope x (own store,
 * another store), against RPC_SCOPES. Expected outcome of a call by a key holding one scope on the
 * own store only:
 * - public RPC: allowed (any code but PERMISSION_DENIED / NOT_FOUND);
 * - scope not held (after implication): PERMISSION_DENIED, whatever the store;
 * - scope held, another store's resource: NOT_FOUND (as if it did not exist);
 * - scope held, own store: allowed.
 * Every request names resources that really exist in the addressed store, so NOT_FOUND can only
 * come from the access rules. A new RPC without an entry in REQUESTS fails this test.
 */
const OWN = "store-own";
const OTHER = "store-other";

interface Fixtures {
  snapshotId: string;
  snapshot2Id: string;
  jobId: string;
  shareId: string;
  shareToken: string;
  keyId: string;
  uploadId: string;
}

interface Env {
  s: SecureServer;
  admin: <S extends DescService>(service: S) => Client<S>;
  fixtures: Record<string, Fixtures>;
}

type Message = Record<string, unknown>;
/** A minimal request for one RPC in `store`; `storeScoped: false` RPCs ignore the store column. */
interface RequestSpec {
  build(env: Env, store: string): Promise<Message | Message[]>;
  storeScoped?: false;
}

const blob = (store: string, body = "content") => ({
  storeId: store,
  resourceType: "doc",
  snapshotType: SnapshotType.BLOB,
  payload: { case: "data" as const, value: Buffer.from(body) },
});
const header = (store: string) => ({ storeId: store, resourceType: "doc", snapshotType: SnapshotType.BLOB });
const fresh = {
  snapshot: async (env: Env, store: string) => (await env.admin(SnapshotService).createSnapshot(blob(store, `fresh-${Math.random()}`))).snapshot!.snapshotId,
  share: async (env: Env, store: string) =>
    (await env.admin(ShareService).shareSnapshot({ storeId: store, snapshotId: env.fixtures[store].snapshotId, access: ShareAccess.READ })).share!.shareId,
  key: async (env: Env, store: string) =>
    (await env.admin(ApiKeyService).createApiKey({ name: "fresh", scopes: ["snapshot:read"], storeIds: [store] })).apiKey!.keyId,
  upload: async (env: Env, store: string) => (await env.admin(UploadService).startUpload({ header: header(store) })).upload!.uploadId,
  deleted: async (env: Env, store: string) => {
    const snapshotId = await fresh.snapshot(env, store);
    await env.admin(SnapshotService).deleteSnapshot({ storeId: store, snapshotId });
    return snapshotId;
  },
  rule: async (env: Env, store: string) =>
    (await env.admin(RetentionService).createRetentionRule({ storeId: store, rule: { name: `m-${Math.random().toString(36).slice(2)}`, keepLatestN: 1 } })).rule!.ruleId,
  // Inactive, so nothing is ever sent to the (public, literal) address.
  webhook: async (env: Env, store: string) =>
    (await env.admin(WebhookService).createWebhook({ storeId: store, url: "https://93.184.216.34/hook", active: false })).webhook!.webhookId,
  policy: async (env: Env, store: string) =>
    (await env.admin(PolicyService).createPolicy({ storeId: store, policy: { name: `p-${Math.random().toString(36).slice(2)}`, resourceType: "doc", trigger: PolicyTrigger.MANUAL } })).policy!.policyId,
  archived: async (env: Env, store: string) => {
    const snapshotId = await fresh.snapshot(env, store);
    await env.admin(StorageService).setStorageClass({ storeId: store, snapshotId, storageClass: StorageClass.ARCHIVE });
    return snapshotId;
  },
  job: async (env: Env, store: string) =>
    (await env.admin(SnapshotService).verifySnapshot({ storeId: store, snapshotId: env.fixtures[store].snapshotId })).job!.jobId,
};
const ids = (env: Env, store: string) => ({ storeId: store, snapshotId: env.fixtures[store].snapshotId });
const version = (store: string) => ({ storeId: store, resourceType: "doc", resourceId: "r1" });
const chunk = Buffer.from("chunk-bytes");

const REQUESTS: Record<string, RequestSpec> = {
  "vellum.v1.SnapshotService/CreateSnapshot": { build: async (_, store) => blob(store) },
  "vellum.v1.SnapshotService/UploadSnapshot": {
    build: async (_, store) => [{ msg: { case: "header", value: header(store) } }, { msg: { case: "chunk", value: chunk } }],
  },
  "vellum.v1.SnapshotService/DownloadSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotService/GetSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotService/ListSnapshots": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.SnapshotService/DeleteSnapshot": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.snapshot(env, store) }) },
  "vellum.v1.SnapshotService/VerifySnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotService/CheckStore": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.SnapshotService/UndeleteSnapshot": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.deleted(env, store) }) },
  "vellum.v1.SnapshotService/SummarizeSnapshots": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.UploadService/StartUpload": { build: async (_, store) => ({ header: header(store) }) },
  "vellum.v1.UploadService/GetUpload": { build: async (env, store) => ({ storeId: store, uploadId: env.fixtures[store].uploadId }) },
  "vellum.v1.UploadService/CancelUpload": { build: async (env, store) => ({ storeId: store, uploadId: await fresh.upload(env, store) }) },
  "vellum.v1.UploadService/FindMissingChunks": {
    build: async (_, store) => ({ storeId: store, digests: [createHash("sha256").update(chunk).digest()] }),
  },
  "vellum.v1.UploadService/UploadChunks": { build: async (_, store) => [{ storeId: store, chunk }] },
  "vellum.v1.UploadService/CommitSnapshot": { build: async (_, store) => ({ header: header(store), chunks: [] }) },
  "vellum.v1.VersionService/ListVersions": { build: async (_, store) => version(store) },
  "vellum.v1.VersionService/GetVersion": { build: async (_, store) => ({ ...version(store), version: 1n }) },
  "vellum.v1.VersionService/CreateVersion": { build: async (env, store) => ({ ...version(store), snapshotId: env.fixtures[store].snapshotId }) },
  "vellum.v1.VersionService/GetLatestVersion": { build: async (_, store) => version(store) },
  "vellum.v1.JobService/GetJob": { build: async (env, store) => ({ storeId: store, jobId: env.fixtures[store].jobId }) },
  "vellum.v1.JobService/ListJobs": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.JobService/CancelJob": { build: async (env, store) => ({ storeId: store, jobId: await fresh.job(env, store) }) },
  "vellum.v1.JobService/WatchJob": { build: async (env, store) => ({ storeId: store, jobId: env.fixtures[store].jobId }) },
  "vellum.v1.CompareService/CompareSnapshots": {
    build: async (env, store) => ({ storeId: store, leftSnapshotId: env.fixtures[store].snapshotId, rightSnapshotId: env.fixtures[store].snapshot2Id }),
  },
  "vellum.v1.CompareService/StartCompare": {
    build: async (env, store) => ({ storeId: store, leftSnapshotId: env.fixtures[store].snapshotId, rightSnapshotId: env.fixtures[store].snapshot2Id }),
  },
  "vellum.v1.CompareService/PreviewSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotAdminService/UpdateSnapshot": {
    build: async (env, store) => ({ ...ids(env, store), tags: ["t"], updateMask: { paths: ["tags"] } }),
  },
  "vellum.v1.SnapshotAdminService/PinSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotAdminService/UnpinSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotAdminService/LockSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotAdminService/UnlockSnapshot": { build: async (env, store) => ids(env, store) },
  "vellum.v1.SnapshotAdminService/SetLegalHold": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.snapshot(env, store), reason: "matrix" }) },
  "vellum.v1.SnapshotAdminService/ReleaseLegalHold": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.snapshot(env, store) }) },
  "vellum.v1.RetentionService/CreateRetentionRule": {
    build: async (_, store) => ({ storeId: store, rule: { name: `c-${Math.random().toString(36).slice(2)}`, keepLatestN: 1 } }),
  },
  "vellum.v1.RetentionService/GetRetentionRule": { build: async (env, store) => ({ storeId: store, ruleId: await fresh.rule(env, store) }) },
  "vellum.v1.RetentionService/ListRetentionRules": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.RetentionService/UpdateRetentionRule": {
    build: async (env, store) => ({ storeId: store, rule: { ruleId: await fresh.rule(env, store), keepLatestN: 2 }, updateMask: { paths: ["keep_latest_n"] } }),
  },
  "vellum.v1.RetentionService/DeleteRetentionRule": { build: async (env, store) => ({ storeId: store, ruleId: await fresh.rule(env, store) }) },
  "vellum.v1.RetentionService/PreviewRetention": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.RetentionService/RunRetention": { build: async (_, store) => ({ storeId: store, dryRun: true }) },
  "vellum.v1.StorageService/GetStorageUsage": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.StorageService/SetStorageClass": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.snapshot(env, store), storageClass: StorageClass.COLD }) },
  "vellum.v1.StorageService/RehydrateSnapshot": { build: async (env, store) => ({ storeId: store, snapshotId: await fresh.archived(env, store) }) },
  "vellum.v1.PolicyService/CreatePolicy": {
    build: async (_, store) => ({ storeId: store, policy: { name: `m-${Math.random().toString(36).slice(2)}`, resourceType: "doc", trigger: PolicyTrigger.MANUAL } }),
  },
  "vellum.v1.PolicyService/GetPolicy": { build: async (env, store) => ({ storeId: store, policyId: await fresh.policy(env, store) }) },
  "vellum.v1.PolicyService/ListPolicies": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.PolicyService/UpdatePolicy": {
    build: async (env, store) => ({ storeId: store, policy: { policyId: await fresh.policy(env, store), retentionDays: 1 }, updateMask: { paths: ["retention_days"] } }),
  },
  "vellum.v1.PolicyService/DeletePolicy": { build: async (env, store) => ({ storeId: store, policyId: await fresh.policy(env, store) }) },
  "vellum.v1.PolicyService/RunPolicy": {
    build: async (env, store) => ({ storeId: store, policyId: await fresh.policy(env, store), resourceId: "r1", snapshotType: SnapshotType.BLOB, payload: { case: "data" as const, value: Buffer.from("pushed") } }),
  },
  "vellum.v1.PolicyService/GetPolicyRun": {
    build: async (env, store) => {
      const policyId = await fresh.policy(env, store);
      const pushed = { storeId: store, policyId, resourceId: "r1", snapshotType: SnapshotType.BLOB, payload: { case: "data" as const, value: Buffer.from("run") } };
      return { storeId: store, policyId, runId: (await env.admin(PolicyService).runPolicy(pushed)).run!.runId };
    },
  },
  "vellum.v1.PolicyService/ListPolicyRuns": { build: async (env, store) => ({ storeId: store, policyId: await fresh.policy(env, store) }) },
  "vellum.v1.PolicyService/NotifyChange": { build: async (_, store) => ({ storeId: store, resourceType: "doc", resourceId: "r1", event: ChangeEvent.ON_CHANGE }) },
  "vellum.v1.ApiKeyService/CreateApiKey": { build: async (_, store) => ({ name: "matrix", scopes: ["snapshot:read"], storeIds: [store] }) },
  "vellum.v1.ApiKeyService/ListApiKeys": { build: async () => ({}), storeScoped: false },
  "vellum.v1.ApiKeyService/RevokeApiKey": { build: async (env, store) => ({ keyId: await fresh.key(env, store) }) },
  "vellum.v1.AuditService/GetSnapshotAudit": { build: async (env, store) => ids(env, store) },
  "vellum.v1.AuditService/ListAuditEvents": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.AuditService/VerifyAuditChain": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.AuditService/ExportAuditEvents": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.ShareService/ShareSnapshot": { build: async (env, store) => ({ ...ids(env, store), access: ShareAccess.DOWNLOAD }) },
  "vellum.v1.ShareService/ResolveShare": { build: async (env, store) => ({ shareToken: env.fixtures[store].shareToken }) },
  "vellum.v1.ShareService/RevokeShare": { build: async (env, store) => ({ storeId: store, shareId: await fresh.share(env, store) }) },
  "vellum.v1.ShareService/ListShares": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.SnapshotService/BatchCreateSnapshots": { build: async (_, store) => ({ storeId: store, requests: [blob(store)] }) },
  "vellum.v1.CatalogService/AddTags": { build: async (env, store) => ({ ...ids(env, store), tags: ["m"] }) },
  "vellum.v1.CatalogService/RemoveTag": { build: async (env, store) => ({ ...ids(env, store), tag: "m" }) },
  "vellum.v1.CatalogService/ListTags": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.CatalogService/AddAnnotation": { build: async (env, store) => ({ ...ids(env, store), message: "note" }) },
  "vellum.v1.CatalogService/ListAnnotations": { build: async (env, store) => ids(env, store) },
  "vellum.v1.CatalogService/HasSnapshots": { build: async (_, store) => version(store) },
  "vellum.v1.SearchService/SearchSnapshots": { build: async (_, store) => ({ storeId: store, q: "doc" }) },
  "vellum.v1.SearchService/SampleSnapshots": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.LineageService/GetLineage": { build: async (env, store) => ids(env, store) },
  "vellum.v1.LineageService/RegisterConsumer": { build: async (env, store) => ({ ...ids(env, store), consumer: "m" }) },
  "vellum.v1.EventService/WatchEvents": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.EventService/ListEvents": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.WebhookService/CreateWebhook": { build: async (_, store) => ({ storeId: store, url: "https://93.184.216.34/hook", active: false }) },
  "vellum.v1.WebhookService/ListWebhooks": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.WebhookService/UpdateWebhook": {
    build: async (env, store) => ({ storeId: store, webhook: { webhookId: await fresh.webhook(env, store), description: "m" }, updateMask: { paths: ["description"] } }),
  },
  "vellum.v1.WebhookService/DeleteWebhook": { build: async (env, store) => ({ storeId: store, webhookId: await fresh.webhook(env, store) }) },
  "vellum.v1.WebhookService/RotateWebhookSecret": { build: async (env, store) => ({ storeId: store, webhookId: await fresh.webhook(env, store) }) },
  "vellum.v1.WebhookService/ListDeliveries": { build: async (env, store) => ({ storeId: store, webhookId: await fresh.webhook(env, store) }) },
  // FAILED_PRECONDITION (inactive webhook) once the access rules let the call through.
  "vellum.v1.WebhookService/RedeliverWebhook": {
    build: async (env, store) => ({ storeId: store, webhookId: await fresh.webhook(env, store), deliveryId: "00000000-0000-7000-8000-000000000000" }),
  },
  // Restore RPCs: requests the handler refuses as INVALID_ARGUMENT (no target process needed).
  "vellum.v1.RestoreService/RegisterRestoreTarget": {
    build: async (_, store) => ({ storeId: store, targetService: "m", resourceType: "doc", endpoint: "http://127.0.0.1:1", protocol: 1 }),
  },
  "vellum.v1.RestoreService/ListRestoreTargets": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.RestoreService/UpdateRestoreTarget": { build: async (_, store) => ({ storeId: store, targetService: "m", timeoutMs: 5 }) },
  "vellum.v1.RestoreService/DeleteRestoreTarget": { build: async (_, store) => ({ storeId: store, targetService: "not a name" }) },
  "vellum.v1.RestoreService/RestoreSnapshot": { build: async (env, store) => ({ ...ids(env, store), targetService: "m" }) },
  "vellum.v1.RestoreService/ConfirmRestore": { build: async (_, store) => ({ storeId: store, jobId: "x" }) },
  "vellum.v1.RestoreService/GetRestore": { build: async (_, store) => ({ storeId: store, jobId: "x" }) },
  "vellum.v1.RestoreService/RollbackResource": { build: async (_, store) => ({ storeId: store, resourceType: "doc", resourceId: "r1", toVersion: -1n }) },
  "vellum.v1.RestoreService/RequestRestoreApproval": { build: async (env, store) => ({ ...ids(env, store), targetService: "m", reason: "" }) },
  "vellum.v1.RestoreService/ApproveRestore": { build: async (_, store) => ({ storeId: store, approvalId: "x" }) },
  "vellum.v1.RestoreService/RejectRestore": { build: async (_, store) => ({ storeId: store, approvalId: "x" }) },
  "vellum.v1.RestoreService/ListApprovals": { build: async (_, store) => ({ storeId: store }) },
  "vellum.v1.TransferService/ExportSnapshot": { build: async (env, store) => ({ ...ids(env, store), destination: "gs://matrix-bucket/exports" }) },
  "vellum.v1.TransferService/ImportSnapshot": { build: async (_, store) => ({ storeId: store, source: "gs://matrix-bucket/exports/a.vellum" }) },
  "vellum.v1.ComposeService/ComposeSnapshots": {
    build: async (env, store) => ({ storeId: store, snapshotIds: [env.fixtures[store].snapshotId, env.fixtures[store].snapshot2Id], strategy: 1 }),
  },
  "grpc.health.v1.Health/Check": { build: async () => ({}), storeScoped: false },
  "grpc.health.v1.Health/Watch": { build: async () => ({}), storeScoped: false },
  "grpc.health.v1.Health/List": { build: async () => ({}), storeScoped: false },
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": {
    build: async () => [{ messageRequest: { case: "listServices", value: "" } }],
    storeScoped: false,
  },
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {
    build: async () => [{ messageRequest: { case: "listServices", value: "" } }],
    storeScoped: false,
  },
};

/** Calls one RPC of any kind; streams are read up to their first message (Health.Watch never ends). */
async function call(client: Client<DescService>, method: DescMethod, request: Message | Message[]): Promise<void> {
  const fn = (client as unknown as Record<string, (req: unknown) => unknown>)[method.localName];
  const messages = Array.isArray(request) ? request : [request];
  const input = async function* () {
    for (const m of messages) yield create(method.input, m as never);
  };
  switch (method.methodKind) {
    case "unary":
      await fn(request);
      return;
    case "client_streaming":
      await fn(input());
      return;
    case "server_streaming":
    case "bidi_streaming":
      for await (const _ of fn(method.methodKind === "server_streaming" ? request : input()) as AsyncIterable<unknown>) break;
      return;
  }
}

type Outcome = "PERMISSION_DENIED" | "NOT_FOUND" | "allowed";

function expected(rpc: string, scope: Scope, where: "own" | "other", spec: RequestSpec): Outcome {
  const need = RPC_SCOPES[rpc];
  if (need === "public") return "allowed";
  if (!hasScope({ scopes: new Set([scope]) }, need)) return "PERMISSION_DENIED";
  if (where === "other" && spec.storeScoped !== false) return "NOT_FOUND";
  return "allowed";
}

/** "allowed" only for codes a reached handler can produce; auth or wiring failures never pass. */
const BROKEN = new Set([Code.Unauthenticated, Code.Unimplemented, Code.Internal, Code.Unknown]);
const outcomeOf = (code: Code | undefined): Outcome | string =>
  code === Code.PermissionDenied
    ? "PERMISSION_DENIED"
    : code === Code.NotFound
      ? "NOT_FOUND"
      : code !== undefined && BROKEN.has(code)
        ? Code[code]
        : "allowed";

const test = suite<Env & { keys: Record<Scope, string> }>("security: authorization matrix (every RPC x scope x store, real server)");

test.before(async (ctx) => {
  ctx.s = await startSecureServer({ VELLUM_RATE_READ_BURST: "100000", VELLUM_RATE_WRITE_BURST: "100000" });
  ctx.admin = (service) => ctx.s.client(service, { apiKey: ctx.s.adminKey });
  ctx.fixtures = {};
  for (const store of [OWN, OTHER]) {
    const snap = await ctx.admin(SnapshotService).createSnapshot({ ...blob(store, '{"a":1}'), resourceId: "r1", snapshotType: SnapshotType.JSON });
    const snap2 = await ctx.admin(SnapshotService).createSnapshot({ ...blob(store, '{"a":2}'), snapshotType: SnapshotType.JSON });
    const share = await ctx.admin(ShareService).shareSnapshot({ storeId: store, snapshotId: snap.snapshot!.snapshotId, access: ShareAccess.READ });
    ctx.fixtures[store] = {
      snapshotId: snap.snapshot!.snapshotId,
      snapshot2Id: snap2.snapshot!.snapshotId,
      jobId: "",
      shareId: share.share!.shareId,
      shareToken: share.shareToken,
      keyId: "",
      uploadId: "",
    };
    ctx.fixtures[store].jobId = await fresh.job(ctx, store);
    ctx.fixtures[store].keyId = await fresh.key(ctx, store);
    ctx.fixtures[store].uploadId = await fresh.upload(ctx, store);
  }
  ctx.keys = {} as Record<Scope, string>;
  for (const scope of SCOPES) {
    ctx.keys[scope] = (await ctx.admin(ApiKeyService).createApiKey({ name: scope, scopes: [scope], storeIds: [OWN] })).key;
  }
});
test.after(async (ctx) => {
  await ctx.s.close();
});

test("every registered RPC has a declared scope and a matrix request", () => {
  const missing = SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)).filter(
    (rpc) => RPC_SCOPES[rpc] === undefined || REQUESTS[rpc] === undefined,
  );
  assert.equal(missing, []);
});

test("every RPC x scope x (own store, other store) matches the table", async (ctx) => {
  const mismatches: string[] = [];
  let cells = 0;
  const counts: Record<string, number> = {};
  for (const service of SERVICES) {
    for (const method of service.methods) {
      const rpc = `${service.typeName}/${method.name}`;
      const spec = REQUESTS[rpc];
      for (const scope of SCOPES) {
        const client = createClient(service, ctx.s.transport({ apiKey: ctx.keys[scope] }));
        for (const where of ["own", "other"] as const) {
          const request = await spec.build(ctx, where === "own" ? OWN : OTHER);
          let code: Code | undefined;
          try {
            await call(client, method, request);
          } catch (e) {
            code = ConnectError.from(e).code;
          }
          cells++;
          const want = expected(rpc, scope, where, spec);
          const got = outcomeOf(code);
          const label = code === undefined ? "OK" : Code[code];
          counts[label] = (counts[label] ?? 0) + 1;
          if (got !== want) mismatches.push(`${rpc} ${scope} ${where}: want ${want}, got ${code === undefined ? "OK" : Code[code]}`);
        }
      }
    }
  }
  assert.equal(mismatches, [], mismatches.join("\n"));
  const tally = Object.entries(counts).map(([k, n]) => `${k}=${n}`).join(" ");
  assert.ok(cells >= 45 * 8, `covered ${cells} cells`);
  console.log(`    ${cells} cells matched the table (${tally})`);
});

test("a key without stores in its set sees nothing; a store-less call by a restricted admin is limited to its stores", async (ctx) => {
  const admin = ctx.s.client(ApiKeyService, { apiKey: ctx.keys["snapshot:admin"] });
  const listed = await admin.listApiKeys({ showRevoked: true });
  assert.ok(listed.apiKeys.length > 0);
  for (const k of listed.apiKeys) {
    assert.not.ok(k.allStores, "a restricted admin never lists all-store keys");
    assert.ok(k.storeIds.every((s) => s === OWN), `listed a key of ${k.storeIds.join(",")}`);
  }
});

test("client streams are checked message by message: a later message naming another store is NOT_FOUND", async (ctx) => {
  const uploads = ctx.s.client(UploadService, { apiKey: ctx.keys["snapshot:write"] });
  const mixed = async function* () {
    yield create(UploadService.method.uploadChunks.input, { storeId: OWN, chunk });
    yield create(UploadService.method.uploadChunks.input, { storeId: OTHER, chunk: Buffer.from("other") });
  };
  let code: Code | undefined;
  try {
    await uploads.uploadChunks(mixed());
  } catch (e) {
    code = ConnectError.from(e).code;
  }
  assert.is(code, Code.NotFound);
});

test.run();
