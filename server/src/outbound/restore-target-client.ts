import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RestoreChangeKind, RestoreSnapshotRefSchema, RestoreTargetService } from "../../../gen/vellum/v1/restore_target_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import { failedPrecondition, notFound, unavailable } from "../domain/errors.js";
import type { RestoreSnapshotRef, RestoreTarget, RestoreTargetClient, RestoreTargetConnector } from "../domain/restore/types.js";
import type { OutboundGuard } from "./outbound-guard.js";

/** Codes a target uses for transient trouble: retried with backoff. Anything else is a refusal. */
const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Unknown, Code.Internal, Code.Canceled]);

const refToPb = (s: RestoreSnapshotRef) =>
  create(RestoreSnapshotRefSchema, {
  storeId: s.storeId,
  snapshotId: s.snapshotId,
  resourceType: s.resourceType,
  resourceId: s.resourceId,
  version: BigInt(s.version),
  sha256: s.sha256,
  size: BigInt(s.size),
  snapshotType: SnapshotType[s.snapshotType as keyof typeof SnapshotType] ?? SnapshotType.UNSPECIFIED,
  });

/**
 * Connects to registered restore targets (RestoreTargetService) over gRPC (HTTP/2) or Connect
 * (HTTP/1.1). Every connection goes through the outbound guard: the host is checked again before
 * each call, and connections resolve through the guard's lookup (DNS rebinding cannot reach a
 * private address). Each call is cut at the target's timeout. The auth secret rides in its header
 * and nowhere else: errors name the target and the code, never the request's headers.
 */
export function createRestoreTargetConnector(deps: {
  targets: { getWithSecret(storeId: string, targetService: string): Promise<{ target: RestoreTarget; authSecret: string } | undefined> };
  guard: Pick<OutboundGuard, "checkHost" | "lookup">;
}): RestoreTargetConnector {
  return async (storeId, targetService) => {
    const found = await deps.targets.getWithSecret(storeId, targetService);
    if (!found) throw notFound("restore target", targetService);
    const { target, authSecret } = found;
    const url = new URL(target.endpoint);
    let sessions: Http2SessionManager | undefined;
    let transport: Transport;
    if (target.protocol === "GRPC") {
      sessions = new Http2SessionManager(target.endpoint, {}, { lookup: deps.guard.lookup });
      transport = createGrpcTransport({ baseUrl: target.endpoint, sessionManager: sessions });
    } else {
      transport = createConnectTransport({ baseUrl: target.endpoint, httpVersion: "1.1", nodeOptions: { lookup: deps.guard.lookup } });
    }
    const client = createClient(RestoreTargetService, transport);
    const headers: Record<string, string> = authSecret ? { [target.authHeaderName]: authSecret } : {};

    async function call<T>(what: string, signal: AbortSignal, run: (opts: { signal: AbortSignal; timeoutMs: number; headers: Record<string, string> }) => Promise<T>): Promise<T> {
      await deps.guard.checkHost(url.hostname);
      const timeout = AbortSignal.timeout(target.timeoutMs);
      try {
        return await run({ signal: AbortSignal.any([signal, timeout]), timeoutMs: target.timeoutMs, headers });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (timeout.aborted) throw unavailable(`target ${target.targetService} did not answer ${what} within ${target.timeoutMs} ms`);
        const e = ConnectError.from(err);
        if (TRANSIENT.has(e.code)) throw unavailable(`target ${target.targetService} ${what}: ${Code[e.code]}: ${e.rawMessage}`);
        throw failedPrecondition(`target ${target.targetService} refused ${what}: ${Code[e.code]}: ${e.rawMessage}`, "TARGET_REFUSED");
      }
    }

    const client2: RestoreTargetClient = {
      async plan(req, signal) {
        const res = await call("PlanRestore", signal, (o) =>
          client.planRestore(
            { snapshot: refToPb(req.snapshot), targetResourceId: req.targetResourceId, contentUrl: req.contentUrl, contentUrlExpireTime: timestampFromDate(req.expireTime) },
            o,
          ),
        );
        const p = res.plan;
        return {
          summary: p?.summary ?? "",
          changes: (p?.changes ?? []).slice(0, 1000).map((c) => ({ path: c.path, kind: (RestoreChangeKind[c.kind] ?? "UNSPECIFIED") as "ADD", summary: c.summary })),
          warnings: (p?.warnings ?? []).slice(0, 100),
        };
      },
      async apply(req, signal) {
        const res = await call("ApplyRestore", signal, (o) =>
          client.applyRestore(
            {
              snapshot: refToPb(req.snapshot),
              targetResourceId: req.targetResourceId,
              contentUrl: req.contentUrl,
              contentUrlExpireTime: timestampFromDate(req.expireTime),
              idempotencyKey: req.idempotencyKey,
            },
            o,
          ),
        );
        if (!/^[0-9a-f]{64}$/.test(res.appliedDigest)) throw failedPrecondition(`target ${target.targetService} answered ApplyRestore without a SHA-256 applied_digest`, "TARGET_BAD_ANSWER");
        return { appliedDigest: res.appliedDigest };
      },
      async capture(req, signal) {
        const res = await call("CaptureCurrent", signal, (o) => client.captureCurrent({ targetResourceId: req.targetResourceId, resourceType: req.resourceType }, o));
        if (res.notFound) return { notFound: true };
        const snapshotType = res.snapshotType ? SnapshotType[res.snapshotType] : undefined;
        const sha256 = res.sha256 || undefined;
        if (res.content.case === "contentUrl") return { notFound: false, contentUrl: res.content.value, snapshotType, sha256 };
        return { notFound: false, data: res.content.case === "data" ? res.content.value : new Uint8Array(0), snapshotType, sha256 };
      },
      close() {
        sessions?.abort();
      },
    };
    return client2;
  };
}

