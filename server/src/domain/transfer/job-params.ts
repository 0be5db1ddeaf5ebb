import { invalidField } from "../errors.js";
import type { SnapshotMetadata } from "../snapshots/types.js";

/** EXPORT_SNAPSHOT params as stored with the job (secrets sealed, see SecretSealer). */
export interface ExportJobParams {
  snapshotId: string;
  destination: string;
  sealedKey?: string;
  sealedSigningSecret?: string;
  notifyWebhook?: string;
  auditActor?: string;
  auditRequestId?: string;
}

/** IMPORT_SNAPSHOT params as stored with the job; the source is sealed (a share link is a credential). */
export interface ImportJobParams {
  sealedSource: string;
  resourceType?: string;
  resourceId?: string;
  metadata?: Partial<SnapshotMetadata>;
  sealedKey?: string;
  auditActor?: string;
  auditRequestId?: string;
}

const MAX_PARAM_CHARS = 8192;

function text(raw: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = raw[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.length > MAX_PARAM_CHARS || (required && v === "")) {
    throw invalidField(`params.${name}`, `must be a ${required ? "non-empty " : ""}string of at most ${MAX_PARAM_CHARS} characters`);
  }
  return v;
}

/** Copies the named optional string params that are set. */
function optional<T extends object>(raw: Record<string, unknown>, names: (keyof T & string)[]): Partial<T> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = text(raw, n, false);
    if (v !== undefined) out[n] = v;
  }
  return out as Partial<T>;
}

export function parseExportParams(raw: Record<string, unknown>): ExportJobParams {
  return {
    snapshotId: text(raw, "snapshotId", true)!,
    destination: text(raw, "destination", true)!,
    ...optional<ExportJobParams>(raw, ["sealedKey", "sealedSigningSecret", "notifyWebhook", "auditActor", "auditRequestId"]),
  };
}

export function parseImportParams(raw: Record<string, unknown>): ImportJobParams {
  const p: ImportJobParams = {
    sealedSource: text(raw, "sealedSource", true)!,
    ...optional<ImportJobParams>(raw, ["resourceType", "resourceId", "sealedKey", "auditActor", "auditRequestId"]),
  };
  if (raw.metadata !== undefined) {
    const m = raw.metadata;
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw invalidField("params.metadata", "must be an object");
    p.metadata = optional<SnapshotMetadata>(m as Record<string, unknown>, ["commitMessage", "channel", "locale", "jobId"]);
  }
  return p;
}
