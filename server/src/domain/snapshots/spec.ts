import { containsNul, Validator, IDEMPOTENCY_KEY_RE, RESOURCE_ID_RE, RESOURCE_TYPE_RE, RESOURCE_VERSION_RE, TAG_RE } from "../validate.js";
import { SNAPSHOT_TYPES, type SnapshotMetadata, type SnapshotSpec, type SnapshotType } from "./types.js";

export const MAX_TAGS = 64;
export const MAX_LABELS_BYTES = 16 * 1024;
export const MAX_TTL_DAYS = 36500;

/** Checks a tag list: at most MAX_TAGS entries, each matching TAG_RE; violations under `field`. */
export function checkTags(v: Validator, field: string, tags: readonly string[]): void {
  if (tags.length > MAX_TAGS) v.add(field, `must have at most ${MAX_TAGS} entries`);
  tags.forEach((t, i) => {
    if (!TAG_RE.test(t)) v.add(`${field}[${i}]`, "must be 1-128 characters of [A-Za-z0-9._:/@+=-]");
  });
}

/** Unvalidated spec as it arrives from the transport layer. */
export interface SnapshotSpecInput {
  storeId: string;
  resourceType: string;
  resourceId: string;
  snapshotType?: SnapshotType;
  tags: string[];
  labels?: Record<string, unknown>;
  metadata?: Partial<SnapshotMetadata>;
  ttlDays: number;
  encrypt: boolean;
  idempotencyKey: string;
  resourceVersion?: string;
}

/**
 * Validates a create/upload spec, collecting every violation under `prefix` (e.g. "header.").
 * Tags are de-duplicated keeping first occurrence order.
 */
export function validateSpec(input: SnapshotSpecInput, v: Validator, prefix = ""): SnapshotSpec {
  const f = (name: string) => prefix + name;
  v.storeId(f("store_id"), input.storeId);
  v.pattern(f("resource_type"), input.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
  v.pattern(f("resource_id"), input.resourceId, RESOURCE_ID_RE, 256, "free of control characters", false);
  if (!input.snapshotType || !SNAPSHOT_TYPES.includes(input.snapshotType)) v.add(f("snapshot_type"), "is required");
  checkTags(v, f("tags"), input.tags);
  const labels = input.labels ?? {};
  const labelsJson = JSON.stringify(labels);
  if (Buffer.byteLength(labelsJson) > MAX_LABELS_BYTES) v.add(f("labels"), `must serialise to at most ${MAX_LABELS_BYTES} bytes of JSON`);
  else if (containsNul(labels)) v.add(f("labels"), "must not contain NUL characters");
  const m = input.metadata ?? {};
  const metadata: SnapshotMetadata = {
    commitMessage: m.commitMessage ?? "",
    channel: m.channel ?? "",
    locale: m.locale ?? "",
    jobId: m.jobId ?? "",
  };
  v.text(f("metadata.commit_message"), metadata.commitMessage, 4096, true);
  v.text(f("metadata.channel"), metadata.channel, 128);
  v.text(f("metadata.locale"), metadata.locale, 64);
  v.text(f("metadata.job_id"), metadata.jobId, 128);
  v.range(f("ttl_days"), input.ttlDays, 0, MAX_TTL_DAYS);
  if (input.idempotencyKey !== "" && !IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) {
    v.add(f("idempotency_key"), "must be 1-128 printable ASCII characters");
  }
  const resourceVersion = input.resourceVersion ?? "";
  if (resourceVersion !== "") {
    if (!RESOURCE_VERSION_RE.test(resourceVersion)) v.add(f("resource_version"), "must be 1-128 printable ASCII characters");
    else if (input.resourceId === "") v.add(f("resource_version"), "requires resource_id");
  }
  return {
    storeId: input.storeId,
    resourceType: input.resourceType,
    resourceId: input.resourceId,
    snapshotType: input.snapshotType ?? "BLOB",
    tags: [...new Set(input.tags)],
    labels,
    metadata,
    ttlDays: input.ttlDays,
    encrypt: input.encrypt,
    idempotencyKey: input.idempotencyKey,
    resourceVersion,
  };
}
