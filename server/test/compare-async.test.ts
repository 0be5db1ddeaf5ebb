import { fromJsonString } from "@bufbuild/protobuf";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ChunkSummaryReason, CompareResultSchema, ContentKind, DiffFormat } from "../../gen/vellum/v1/compare_pb.js";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import { createSnapshot, download, golden, GOLDEN_OPTIONS, jsonDiffAsPlain, pseudoRandomBytes, waitForJob } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness; left: Snapshot; right: Snapshot }>("rpc: CompareSnapshots above the sync limit runs as a job");
const STORE = "shop-async";
const NAMES = { left: "catalog/eu@v1.json", right: "catalog/eu@v2.json" };

test.before(async (ctx) => {
  // A 1 KiB synchronous limit: the two golden catalogs (2.3 KB together) go to a job.
  ctx.h = await createMemoryHarness(undefined, { VELLUM_COMPARE_SYNC_MAX_BYTES: "1024" });
  ctx.left = await createSnapshot(ctx.h, STORE, golden("catalog-left.json"), { resourceId: "eu" });
  ctx.right = await createSnapshot(ctx.h, STORE, golden("catalog-right.json"), { resourceId: "eu" });
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("CompareSnapshots returns a queued job whose result snapshot downloads to the golden JSON diff", async ({ h, left, right }) => {
  const res = await h.compare.compareSnapshots({
    storeId: STORE,
    leftSnapshotId: left.snapshotId,
    rightSnapshotId: right.snapshotId,
    format: DiffFormat.JSON,
    options: GOLDEN_OPTIONS,
  });
  if (res.outcome.case !== "job") throw new Error(`expected a job, got ${res.outcome.case}`);
  const queued = res.outcome.value;
  assert.is(queued.type, JobType.COMPARE_SNAPSHOTS);
  assert.is(queued.snapshotId, right.snapshotId);
  const job = await waitForJob(h, STORE, queued.jobId);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  assert.is(job.progressPercent, 100);
  const out = job.result!;
  assert.equal(
    { ...out.details },
    {
      left_snapshot_id: left.snapshotId,
      right_snapshot_id: right.snapshotId,
      format: "JSON",
      kind: "json",
      media_type: "application/json",
      same_content: false,
      output_bytes: out.details!.output_bytes,
    },
  );
  const { snapshot, bytes } = await download(h, STORE, out.snapshotId);
  assert.is(snapshot.resourceType, "vellum.compare");
  assert.is(snapshot.snapshotType, SnapshotType.JSON);
  assert.is(snapshot.metadata!.jobId, job.jobId);
  assert.equal(snapshot.labels, {
    left_snapshot_id: left.snapshotId,
    right_snapshot_id: right.snapshotId,
    format: "JSON",
    kind: "json",
    media_type: "application/json",
  });
  assert.is(Number(snapshot.size), bytes.length);
  const result = fromJsonString(CompareResultSchema, bytes.toString("utf8"));
  assert.is(result.leftSnapshotId, left.snapshotId);
  assert.is(result.kind, ContentKind.JSON);
  if (result.body.case !== "json") throw new Error("unexpected body");
  assert.equal(jsonDiffAsPlain(result.body.value), JSON.parse(golden("expected-json.json")));
});

test("StartCompare UNIFIED stores the diff text itself, ready for patch", async ({ h, left, right }) => {
  const { job: queued } = await h.compare.startCompare({
    storeId: STORE,
    leftSnapshotId: left.snapshotId,
    rightSnapshotId: right.snapshotId,
    format: DiffFormat.UNIFIED,
    options: GOLDEN_OPTIONS,
    priority: 7,
  });
  assert.is(queued!.priority, 7);
  const job = await waitForJob(h, STORE, queued!.jobId);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  const { snapshot, bytes } = await download(h, STORE, job.result!.snapshotId);
  assert.is(snapshot.snapshotType, SnapshotType.BLOB);
  assert.is((snapshot.labels as Record<string, unknown>).media_type, "text/x-diff; charset=utf-8");
  const expected = golden("expected-unified.diff")
    .replace("--- a/catalog.json", `--- a/${NAMES.left}`)
    .replace("+++ b/catalog.json", `+++ b/${NAMES.right}`);
  assert.fixture(bytes.toString("utf8"), expected);
});

test("StartCompare HTML stores the self-contained page", async ({ h, left, right }) => {
  const { job: queued } = await h.compare.startCompare({
    storeId: STORE,
    leftSnapshotId: left.snapshotId,
    rightSnapshotId: right.snapshotId,
    format: DiffFormat.HTML,
    options: GOLDEN_OPTIONS,
  });
  const job = await waitForJob(h, STORE, queued!.jobId);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  const { bytes } = await download(h, STORE, job.result!.snapshotId);
  const expected = golden("expected.html")
    .replaceAll("Catalog &lt;v1&gt; vs &lt;v2&gt;", `Compare ${NAMES.left} → ${NAMES.right}`)
    .replace("a/catalog.json → b/catalog.json", `a/${NAMES.left} → b/${NAMES.right}`);
  assert.fixture(bytes.toString("utf8"), expected);
});

test("binary snapshots above the limit get their chunk summary at once: it comes from the manifests", async ({ h }) => {
  const a = pseudoRandomBytes(600_000, 11);
  const b = Uint8Array.from(a);
  b.fill(0x42, 300_000, 300_100);
  const l = await createSnapshot(h, STORE, a, { type: SnapshotType.BLOB, resourceType: "blob" });
  const r = await createSnapshot(h, STORE, b, { type: SnapshotType.BLOB, resourceType: "blob" });
  const res = await h.compare.compareSnapshots({ storeId: STORE, leftSnapshotId: l.snapshotId, rightSnapshotId: r.snapshotId, format: DiffFormat.HTML });
  if (res.outcome.case !== "result") throw new Error("a summary from manifests reads no content, so it needs no job");
  const result = res.outcome.value;
  if (result.body.case !== "chunks") throw new Error("expected a chunk summary");
  assert.is(result.format, DiffFormat.CHUNKS);
  assert.is(result.body.value.reason, ChunkSummaryReason.BINARY);
  const hit = result.body.value.changedRanges.some((x) => x.offset <= 300_000n && x.offset + x.length >= 300_100n);
  assert.ok(hit, "a changed range covers the edited bytes");
});

test("a job whose content is not what its type says fails with the error's code", async ({ h }) => {
  const good = await createSnapshot(h, STORE, await makeTar([{ name: "a.txt", content: "a\n" }]), { type: SnapshotType.TAR, resourceType: "bundle" });
  const bad = await createSnapshot(h, STORE, "definitely not a tar archive", { type: SnapshotType.TAR, resourceType: "bundle" });
  const { job: queued } = await h.compare.startCompare({
    storeId: STORE,
    leftSnapshotId: good.snapshotId,
    rightSnapshotId: bad.snapshotId,
    format: DiffFormat.JSON,
  });
  const job = await waitForJob(h, STORE, queued!.jobId);
  assert.is(job.state, JobState.FAILED);
  assert.equal(
    job.errors.map((e) => e.code),
    ["FAILED_PRECONDITION"],
  );
  assert.match(job.errors[0].message, /not a readable tar archive/);
});

test.run();
