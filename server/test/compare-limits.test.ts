import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DiffFormat } from "../../gen/vellum/v1/compare_pb.js";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { createSnapshot, download, waitForJob } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness }>("rpc: CompareSnapshots results larger than a message go to a job");
const STORE = "shop-limits";

test.before(async (ctx) => {
  // The smallest message limit the server accepts: 64 KiB.
  ctx.h = await createMemoryHarness(undefined, { VELLUM_MAX_MESSAGE_BYTES: "65536" });
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("a result that fits is returned; one that would not is handed to a job whose output holds it whole", async ({ h }) => {
  const doc = (tag: string) => ({ items: Array.from({ length: 400 }, (_, i) => ({ id: i, text: `${tag} item number ${i} of the list` })) });
  const l = await createSnapshot(h, STORE, JSON.stringify(doc("old")));
  const r = await createSnapshot(h, STORE, JSON.stringify(doc("new")));
  const req = { storeId: STORE, leftSnapshotId: l.snapshotId, rightSnapshotId: r.snapshotId };
  const small = await h.compare.compareSnapshots({ ...req, format: DiffFormat.JSON, options: { ignorePaths: ["/items/*/text"] } });
  assert.is(small.outcome.case, "result");
  const big = await h.compare.compareSnapshots({ ...req, format: DiffFormat.HTML });
  if (big.outcome.case !== "job") throw new Error(`expected a job, got ${big.outcome.case}`);
  assert.is(big.outcome.value.type, JobType.COMPARE_SNAPSHOTS);
  const job = await waitForJob(h, STORE, big.outcome.value.jobId);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  const { bytes } = await download(h, STORE, job.result!.snapshotId);
  assert.ok(bytes.length > 65536, `the page is ${bytes.length} bytes`);
  const html = bytes.toString("utf8");
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /new item number 399 of the list/);
});

test.run();
