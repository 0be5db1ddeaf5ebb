/** Shared fixtures of the compare-*.test.ts suites: snapshot creation, download, job waiting. */
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonDiff, WordPartKind } from "../../gen/vellum/v1/compare_pb.js";
import { PathChangeKind, WordPartKind as WordKind, type WordField } from "../../gen/vellum/v1/compare_pb.js";
import { JobState, type Job } from "../../gen/vellum/v1/job_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { MemoryHarness } from "./support/memory-client.js";

const testdata = join(import.meta.dirname, "../src/domain/diff/testdata");
/** The diff engine's golden files (realistic catalog JSON: nested variants, keyed arrays, unicode). */
export const golden = (name: string) => readFileSync(join(testdata, name), "utf8");

/** The options the engine's golden files were made with. */
export const GOLDEN_OPTIONS = {
  arrayMatchKey: ["id", "sku"],
  ignorePaths: ["/updated_at", "/products/*/variants/*/sync_time"],
};

/** The ConnectError a call fails with (throws when it succeeds). */
export { expectError as codeOf } from "./support/expect-error.js";

/** Creates a snapshot from raw bytes through CreateSnapshot. */
export async function createSnapshot(
  h: MemoryHarness,
  storeId: string,
  bytes: Uint8Array | string,
  opts: { type?: SnapshotType; resourceType?: string; resourceId?: string } = {},
): Promise<Snapshot> {
  const res = await h.snapshots.createSnapshot({
    storeId,
    resourceType: opts.resourceType ?? "catalog",
    resourceId: opts.resourceId ?? "",
    snapshotType: opts.type ?? SnapshotType.JSON,
    payload: { case: "data", value: typeof bytes === "string" ? Buffer.from(bytes) : bytes },
  });
  return res.snapshot!;
}

/** Downloads a snapshot's whole content through DownloadSnapshot. */
export async function download(h: MemoryHarness, storeId: string, snapshotId: string): Promise<{ snapshot: Snapshot; bytes: Buffer }> {
  const parts: Buffer[] = [];
  let snapshot: Snapshot | undefined;
  for await (const m of h.snapshots.downloadSnapshot({ storeId, snapshotId })) {
    snapshot ??= m.snapshot;
    parts.push(Buffer.from(m.chunk));
  }
  return { snapshot: snapshot!, bytes: Buffer.concat(parts) };
}

/** Follows a job with WatchJob until it reaches a terminal state. */
export async function waitForJob(h: MemoryHarness, storeId: string, jobId: string): Promise<Job> {
  let last: Job | undefined;
  for await (const m of h.jobs.watchJob({ storeId, jobId }, { timeoutMs: 60_000 })) last = m.job;
  if (!last || ![JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED].includes(last.state)) {
    throw new Error(`job ${jobId} did not finish`);
  }
  return last;
}

const json = (v: Value | undefined) => (v === undefined ? undefined : toJson(ValueSchema, v));
const lower = (s: string) => s.toLowerCase();

/** A JsonDiff message in the engine's JSON shape, to compare with the golden files. */
export function jsonDiffAsPlain(d: JsonDiff) {
  return {
    patch: d.patch.map((op) => ({
      op: op.op,
      ...(op.op === "move" ? { from: op.from } : {}),
      path: op.path,
      ...(op.value !== undefined ? { value: json(op.value) } : {}),
    })),
    changes: d.changes.map((c) => ({
      kind: lower(PathChangeKind[c.kind]),
      path: c.path,
      ...(c.from ? { from: c.from } : {}),
      ...(c.oldValue !== undefined ? { oldValue: json(c.oldValue) } : {}),
      ...(c.newValue !== undefined ? { newValue: json(c.newValue) } : {}),
    })),
    counts: { added: d.counts!.added, removed: d.counts!.removed, changed: d.counts!.changed, moved: d.counts!.moved },
  };
}

/** WordField messages in the engine's JSON shape. */
export function wordFieldsAsPlain(fields: WordField[]) {
  return fields.map((f) => ({
    path: f.path,
    ...(f.from ? { from: f.from } : {}),
    parts: f.parts.map((p) => ({ kind: lower(WordKind[p.kind as WordPartKind]), value: p.value })),
  }));
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
