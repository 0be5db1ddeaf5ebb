import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, type ApiKey as PbApiKey } from "../../../gen/vellum/v1/api_key_pb.js";
import { AuditEventSchema, type AuditEvent as PbAuditEvent } from "../../../gen/vellum/v1/audit_pb.js";
import { ShareAccess as PbShareAccess, ShareSchema, type Share as PbShare } from "../../../gen/vellum/v1/share_pb.js";
import type { StoredAuditEvent } from "../domain/audit/audit-queries.js";
import type { ApiKeyRecord } from "../domain/auth/api-key-admin.js";
import type { ShareRecord } from "../domain/share/share-use-cases.js";
import type { ShareAccess } from "../domain/share/share-token.js";
import { ts } from "./convert.js";

/** Converters for API keys, audit events and share links (generated <-> domain). */
export const shareAccessFromPb = (a: PbShareAccess): ShareAccess | undefined =>
  a === PbShareAccess.READ ? "READ" : a === PbShareAccess.DOWNLOAD ? "DOWNLOAD" : undefined;
export const shareAccessToPb = (a: ShareAccess): PbShareAccess => PbShareAccess[a];

export function apiKeyToPb(k: ApiKeyRecord): PbApiKey {
  return create(ApiKeySchema, {
    keyId: k.keyId,
    name: k.name,
    scopes: [...k.scopes].sort(),
    storeIds: k.stores === "*" ? [] : [...k.stores].sort(),
    allStores: k.stores === "*",
    expireTime: ts(k.expiresAt ?? undefined),
    revoked: k.revoked,
    revokeTime: ts(k.revokeTime),
    createdBy: k.createdBy,
    createTime: ts(k.createTime),
  });
}

const valueOf = (v: unknown) => fromJson(ValueSchema, (v ?? null) as JsonValue);

export function auditEventToPb(e: StoredAuditEvent): PbAuditEvent {
  return create(AuditEventSchema, {
    eventId: e.id,
    storeId: e.storeId,
    seq: BigInt(e.seq),
    actor: e.actor,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    snapshotId: e.snapshotId ?? "",
    before: valueOf(e.before),
    after: valueOf(e.after),
    requestId: e.requestId,
    time: ts(e.time),
    prevHash: e.prevHash.toHex(),
    hash: e.hash.toHex(),
  });
}

export function shareToPb(s: ShareRecord): PbShare {
  return create(ShareSchema, {
    shareId: s.id,
    storeId: s.storeId,
    snapshotId: s.snapshotId,
    access: shareAccessToPb(s.access),
    allowedIps: [...s.allowedIps],
    note: s.note,
    createdBy: s.createdBy,
    createTime: ts(s.createTime),
    expireTime: ts(s.expireTime),
    revoked: s.revoked,
    revokeTime: ts(s.revokeTime),
    useCount: BigInt(s.useCount),
    lastUseTime: ts(s.lastUseTime),
  });
}
