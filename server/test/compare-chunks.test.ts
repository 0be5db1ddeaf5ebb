import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createCompareUseCases } from "../src/domain/compare/service.js";
import type { SnapshotUseCases } from "../src/domain/snapshots/service.js";
import { encodeComparison } from "../src/rpc/compare-convert.js";
import { createManifestRepo } from "../src/storage/content/manifest-repo.js";
import { createSnapshot, pseudoRandomBytes } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness }>("compare: chunk summaries from stored manifests read no content");
const STORE = "shop-chunks";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("manifests of the chunk engine give the same ranges as chunking the content, without one content read", async ({ h }) => {
  const size = 3_000_000;
  const a = pseudoRandomBytes(size, 21);
  // An insertion shifts everything after it: the summary reports the shifted chunks as moved.
  const insert = new TextEncoder().encode("an inserted sentence of 37 bytes....");
  const b = new Uint8Array(size + insert.length);
  b.set(a.subarray(0, 1_000_000), 0);
  b.set(insert, 1_000_000);
  b.set(a.subarray(1_000_000), 1_000_000 + insert.length);
  const l = await createSnapshot(h, STORE, a, { type: SnapshotType.BLOB, resourceType: "blob" });
  const r = await createSnapshot(h, STORE, b, { type: SnapshotType.BLOB, resourceType: "blob" });
  const req = {
    storeId: STORE,
    leftSnapshotId: l.snapshotId,
    rightSnapshotId: r.snapshotId,
    format: "CHUNKS" as const,
    options: { ignorePaths: [], arrayMatchKey: [] },
  };
  const who = { actor: "test", audit: { actor: "local_admin:test", requestId: "chunks-1" } };

  // The engine's manifests behind the ManifestSource port; content reads are counted.
  const repo = createManifestRepo(h.services.database.db);
  let contentReads = 0;
  const counting: SnapshotUseCases = {
    ...h.services.snapshots,
    openRange: async (...args: Parameters<SnapshotUseCases["openRange"]>) => {
      contentReads++;
      return h.services.snapshots.openRange(...args);
    },
  };
  const limits = { syncMaxBytes: 0, maxInMemoryBytes: 0 };
  const viaManifests = createCompareUseCases({
    snapshots: counting,
    jobs: h.services.jobs,
    manifests: { manifestOf: (s) => repo.load(s.storeId, s.contentRef) },
    encode: encodeComparison,
    limits,
  });
  const fromManifests = await viaManifests.compareOrEnqueue(req, who);
  if (!("comparison" in fromManifests)) throw new Error("a manifest summary answers synchronously whatever the size");
  assert.is(contentReads, 0);

  // Without manifests the same summary comes from chunking both contents (and is a job above the limit).
  const viaContent = createCompareUseCases({ snapshots: counting, jobs: h.services.jobs, encode: encodeComparison, limits: { ...limits, syncMaxBytes: 10_000_000 } });
  const fromContent = await viaContent.compareOrEnqueue(req, who);
  if (!("comparison" in fromContent)) throw new Error("within the limit the computed summary is synchronous");
  assert.is(contentReads, 2);

  const m = fromManifests.comparison.body;
  const c = fromContent.comparison.body;
  if (m.format !== "CHUNKS" || c.format !== "CHUNKS") throw new Error("expected chunk summaries");
  assert.equal(m.chunks.changedRanges, c.chunks.changedRanges);
  assert.equal(m.chunks.movedRanges, c.chunks.movedRanges);
  assert.is(m.reason, "requested");
  const changed = m.chunks.changedRanges;
  assert.ok(changed.some((x) => x.offset <= 1_000_000 && x.offset + x.length >= 1_000_000 + insert.length), "the insertion is a changed range");
  assert.ok(m.chunks.bytesChanged < size / 10);
  assert.ok(m.chunks.movedRanges.some((x) => x.offset > 1_000_000 && x.fromOffset === x.offset - insert.length), "later chunks moved by the insertion's length");

  // Above the limit without manifests, the comparison becomes a job.
  const queued = await createCompareUseCases({ snapshots: counting, jobs: h.services.jobs, encode: encodeComparison, limits }).compareOrEnqueue(req, who);
  assert.ok("job" in queued);
});

test.run();
