/** Messages as table rows and detail lists for human output (JSON output uses proto3 JSON). */
import {
  JobState,
  JobType,
  SnapshotState,
  SnapshotType,
  timestampDate,
  type ApiKey,
  type Job,
  type Share,
  type Snapshot,
  type Version,
  type Event,
  type Webhook,
  type WebhookDelivery,
  WebhookDeliveryStatus,
} from "@vellum/sdk";
import { enumName } from "./parse.js";
import { formatBytes } from "./output.js";

const time = (t: Parameters<typeof timestampDate>[0] | undefined) => (t ? timestampDate(t).toISOString().replace(/\.\d+Z$/, "Z") : "");
const flags = (s: Snapshot) => [s.pinned && "pinned", s.locked && "locked", s.encrypted && "encrypted"].filter(Boolean).join(",");

export const SNAPSHOT_HEAD = ["snapshot", "resource", "version", "type", "size", "tags", "created"];
export function snapshotRow(s: Snapshot): string[] {
  return [
    s.snapshotId,
    s.resourceId ? `${s.resourceType}/${s.resourceId}` : s.resourceType,
    s.version ? String(s.version) : "",
    enumName(SnapshotType, s.snapshotType),
    formatBytes(s.size),
    s.tags.join(","),
    time(s.createTime),
  ];
}

export function snapshotDetails(s: Snapshot): [string, string][] {
  return [
    ["snapshot", s.snapshotId],
    ["store", s.storeId],
    ["resource", s.resourceId ? `${s.resourceType}/${s.resourceId}` : s.resourceType],
    ["version", String(s.version)],
    ["type", enumName(SnapshotType, s.snapshotType)],
    ["state", enumName(SnapshotState, s.state)],
    ["size", `${formatBytes(s.size)} (${s.size} bytes)`],
    ["stored", formatBytes(s.storedSize)],
    ["sha256", s.sha256],
    ["etag", s.etag],
    ["tags", s.tags.join(", ")],
    ["labels", JSON.stringify(s.labels ?? {})],
    ["message", s.metadata?.commitMessage ?? ""],
    ["flags", flags(s)],
    ["created", `${time(s.createTime)} by ${s.createdBy}`],
    ...(s.deleteTime ? ([["deleted", time(s.deleteTime)]] as [string, string][]) : []),
    ...(s.expireTime ? ([["expires", time(s.expireTime)]] as [string, string][]) : []),
  ];
}

export const VERSION_HEAD = ["version", "snapshot", "author", "message", "created"];
export function versionRow(v: Version): string[] {
  return [String(v.version), v.snapshotId, v.authorId, v.message || v.notes, time(v.createTime)];
}

export const JOB_HEAD = ["job", "type", "state", "progress", "snapshot", "created"];
export function jobRow(j: Job): string[] {
  return [j.jobId, enumName(JobType, j.type), enumName(JobState, j.state), `${j.progressPercent}%`, j.snapshotId, time(j.createTime)];
}

export function jobDetails(j: Job): [string, string][] {
  return [
    ["job", j.jobId],
    ["type", enumName(JobType, j.type)],
    ["state", enumName(JobState, j.state)],
    ["progress", `${j.progressPercent}%`],
    ["snapshot", j.snapshotId],
    ["result", j.result?.snapshotId ?? ""],
    ["errors", j.errors.map((e) => `${e.code}: ${e.message}${e.subject ? ` (${e.subject})` : ""}`).join("\n")],
    ["created", `${time(j.createTime)} by ${j.createdBy}`],
    ["ended", time(j.endTime)],
  ];
}

export const KEY_HEAD = ["key", "name", "scopes", "stores", "expires", "revoked", "created"];
export function keyRow(k: ApiKey): string[] {
  return [k.keyId, k.name, k.scopes.join(","), k.allStores ? "*" : k.storeIds.join(","), time(k.expireTime), k.revoked ? time(k.revokeTime) || "yes" : "", time(k.createTime)];
}

/** Plain lines, as the URL and token are too long for a table. */
export function shareLines(share: Share | undefined, token: string, url: string): string {
  return [`share    ${share?.shareId ?? ""} (snapshot ${share?.snapshotId ?? ""}, expires ${time(share?.expireTime)})`, `url      ${url || "(read-only link)"}`, `token    ${token}`].join("\n");
}

export const WEBHOOK_HEAD = ["webhook", "url", "events", "active", "description", "created"];
export function webhookRow(w: Webhook): string[] {
  return [w.webhookId, w.url, w.events.join(",") || "*", w.active ? "yes" : `no${w.disabledReason ? ` (${w.disabledReason})` : ""}`, w.description, time(w.createTime)];
}

export const DELIVERY_HEAD = ["delivery", "event", "type", "status", "attempts", "code", "latency", "error", "updated"];
export function deliveryRow(d: WebhookDelivery): string[] {
  const status = enumName(WebhookDeliveryStatus, d.status);
  return [d.deliveryId, String(d.eventId), d.eventType, status, String(d.attempts), d.responseCode ? String(d.responseCode) : "", `${d.latencyMs} ms`, d.lastError, time(d.updateTime)];
}

export const EVENT_HEAD = ["event", "time", "type", "resource", "snapshot", "actor"];
export function eventRow(e: Event): string[] {
  return [String(e.eventId), time(e.createTime), e.type, `${e.resourceType}/${e.resourceId}`, e.snapshotId, e.actor];
}
