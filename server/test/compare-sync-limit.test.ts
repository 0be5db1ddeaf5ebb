import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ChunkSummaryReason, DiffFormat } from "../../gen/vellum/v1/compare_pb.js";
import { JobType } from "../../gen/vellum/v1/job_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createSnapshot } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

/**
 * The contract of CompareSnapshots at the default limits (compare_service.proto): a comparison
 * that reads content answers with a job above VELLUM_COMPARE_SYNC_MAX_BYTES (8 MiB), while a chunk
 * summary from the stored manifests reads no content and answers inline whatever the size.
 */
const test = suite<{ h: MemoryHarness }>("rpc: CompareSnapshots over the synchronous limit (default config)");
const STORE = "shop-sync-limit";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
});
test.after(async (ctx) => {
  await ctx.h.close();
});

/** `bytes` of numbered text lines; `edit` changes one line. */
function textLines(bytes: number, edit = -1): string {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `line ${i} of the inventory export: item ${i * 7919} ${i === edit ? "EDITED" : "in stock"}\n`;
    lines.push(line);
    n += line.length;
  }
  return lines.join("").slice(0, bytes);
}

test("two 8 MiB text snapshots (16 MiB together): CHUNKS answers inline, UNIFIED answers with a job", async ({ h }) => {
  const size = 8 * 1024 * 1024;
  const l = await createSnapshot(h, STORE, textLines(size), { type: SnapshotType.BLOB, resourceType: "export" });
  const r = await createSnapshot(h, STORE, textLines(size, 50_000), { type: SnapshotType.BLOB, resourceType: "export" });
  const req = { storeId: STORE, leftSnapshotId: l.snapshotId, rightSnapshotId: r.snapshotId };

  const chunks = await h.compare.compareSnapshots({ ...req, format: DiffFormat.CHUNKS });
  if (chunks.outcome.case !== "result") throw new Error(`CHUNKS over the limit: expected a result, got ${chunks.outcome.case}`);
  const body = chunks.outcome.value.body;
  if (body.case !== "chunks") throw new Error("expected a chunk summary");
  assert.is(body.value.reason, ChunkSummaryReason.REQUESTED);
  assert.ok(body.value.changedRanges.length > 0 && body.value.bytesChanged < BigInt(size) / 10n, "the one edited line is a small changed range");

  const unified = await h.compare.compareSnapshots({ ...req, format: DiffFormat.UNIFIED });
  if (unified.outcome.case !== "job") throw new Error(`UNIFIED over the limit: expected a job, got ${unified.outcome.case}`);
  assert.is(unified.outcome.value.type, JobType.COMPARE_SNAPSHOTS);
});

test.run();
