import { invalidField } from "../errors.js";
import { SNAPSHOT_TYPES, type Snapshot, type SnapshotMetadata, type SnapshotType } from "../snapshots/types.js";

/** Archive format name and version (docs/export-format.md). */
export const ARCHIVE_FORMAT = "vellum-export";
export const ARCHIVE_VERSION = 1;

/** The snapshot as an archive describes it (manifest.json; snake_case JSON). */
export interface ExportManifest {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  snapshot_id: string;
  store_id: string;
  resource_type: string;
  resource_id: string;
  resource_version: string;
  snapshot_type: SnapshotType;
  /** Version of the resource in the exporting store. */
  resource_snapshot_version: number;
  size: number;
  sha256: string;
  tags: string[];
  labels: Record<string, unknown>;
  metadata: { commit_message: string; channel: string; locale: string; job_id: string };
  created_by: string;
  create_time: string;
  export_time: string;
}

/** Largest manifest an import accepts. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export function manifestOf(s: Snapshot, exportTime: Date): ExportManifest {
  return {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    snapshot_id: s.id,
    store_id: s.storeId,
    resource_type: s.resourceType,
    resource_id: s.resourceId,
    resource_version: s.resourceVersion,
    snapshot_type: s.snapshotType,
    resource_snapshot_version: s.version,
    size: s.size,
    sha256: s.sha256,
    tags: s.tags,
    labels: s.labels,
    metadata: { commit_message: s.metadata.commitMessage, channel: s.metadata.channel, locale: s.metadata.locale, job_id: s.metadata.jobId },
    created_by: s.createdBy,
    create_time: s.createTime.toISOString(),
    export_time: exportTime.toISOString(),
  };
}

export const metadataOf = (m: ExportManifest): SnapshotMetadata => ({
  commitMessage: m.metadata.commit_message,
  channel: m.metadata.channel,
  locale: m.metadata.locale,
  jobId: m.metadata.job_id,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses and checks a manifest; anything malformed is INVALID_ARGUMENT on `source`. */
export function parseManifest(bytes: Uint8Array): ExportManifest {
  const bad = (why: string) => invalidField("source", `archive manifest ${why}`);
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw bad("is not JSON");
  }
  if (!isObject(m) || m.format !== ARCHIVE_FORMAT) throw bad(`is not a ${ARCHIVE_FORMAT} manifest`);
  if (m.version !== ARCHIVE_VERSION) throw bad(`has unsupported version ${String(m.version)}`);
  const str = (k: string) => {
    if (typeof m[k] !== "string") throw bad(`lacks ${k}`);
    return m[k];
  };
  for (const k of ["snapshot_id", "resource_type", "resource_id", "sha256"]) str(k);
  if (!/^[0-9a-f]{64}$/.test(m.sha256 as string)) throw bad("has a malformed sha256");
  if (!Number.isSafeInteger(m.size) || (m.size as number) < 0) throw bad("has a malformed size");
  if (!SNAPSHOT_TYPES.includes(m.snapshot_type as SnapshotType)) throw bad("has an unknown snapshot_type");
  if (!Array.isArray(m.tags) || !m.tags.every((t) => typeof t === "string")) throw bad("has malformed tags");
  if (!isObject(m.labels)) throw bad("has malformed labels");
  const md = m.metadata;
  if (!isObject(md) || !["commit_message", "channel", "locale", "job_id"].every((k) => typeof md[k] === "string")) throw bad("has malformed metadata");
  if (typeof m.resource_version !== "string") m.resource_version = "";
  return m as unknown as ExportManifest;
}
