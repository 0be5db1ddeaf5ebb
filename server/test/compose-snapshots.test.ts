import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, createClient, type Client } from "@connectrpc/connect";
import tar from "tar-stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ComposeService, ComposeStrategy, ConflictResolution } from "../../gen/vellum/v1/compose_service_pb.js";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { LineageDirection, LineageEdgeKind } from "../../gen/vellum/v1/lineage_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import { createSnapshot, download, waitForJob } from "./compare-helpers.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { lineageOf, succeeded } from "./transfer-helpers.js";

interface Ctx {
  h: MemoryHarness;
  compose: Client<typeof ComposeService>;
  s: Record<"a" | "b" | "c" | "p1" | "p2" | "t1" | "t2", Snapshot>;
}
const test = suite<Ctx>("compose: OVERLAY, UNION, PATCH and tar overlay on goldens; conflicts; lineage");
const STORE = "compose";
const data = (name: string) => readFileSync(join(import.meta.dirname, "testdata", "compose", name), "utf8");
/** A golden as the compact JSON the composer writes (key order is part of the golden). */
const golden = (name: string) => JSON.stringify(JSON.parse(data(name)));

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  ctx.compose = createClient(ComposeService, ctx.h.transport);
  const json = (name: string) => createSnapshot(ctx.h, STORE, data(name), { resourceType: "settings" });
  const s: Partial<Ctx["s"]> = {};
  // Created one after the other: create time order is a, b, c, p1, p2.
  for (const n of ["a", "b", "c", "p1", "p2"] as const) s[n] = await json(n.startsWith("p") ? `patch-${n[1]}.json` : `${n}.json`);
  s.t1 = await createSnapshot(ctx.h, STORE, await makeTar([{ name: "a.txt", content: "A1" }, { name: "dir/", type: "directory" }, { name: "dir/b.txt", content: "B1" }]), { type: SnapshotType.TAR });
  s.t2 = await createSnapshot(ctx.h, STORE, await makeTar([{ name: "dir/b.txt", content: "B2" }, { name: "c.txt", content: "C2" }, { name: "dir/", type: "directory" }]), { type: SnapshotType.TAR });
  ctx.s = s as Ctx["s"];
});
test.after(async (ctx) => {
  await ctx.h?.close();
});

async function composed(ctx: Ctx, ids: string[], strategy: ComposeStrategy, conflictResolution: ConflictResolution) {
  const res = await ctx.compose.composeSnapshots({ storeId: STORE, snapshotIds: ids, strategy, conflictResolution, metadata: { commitMessage: "compose" }, tags: ["composed"] });
  assert.is(res.job!.type, JobType.COMPOSE_SNAPSHOTS);
  const job = await succeeded(ctx.h, STORE, res.job);
  return { job, ...(await download(ctx.h, STORE, job.result!.snapshotId)) };
}

const R = ConflictResolution;
const cases: [string, "a" | "p", ComposeStrategy, ConflictResolution, string][] = [
  ["OVERLAY, prefer right (RFC 7396)", "a", ComposeStrategy.OVERLAY, R.PREFER_RIGHT, "overlay-right.json"],
  ["OVERLAY, unset resolution is prefer right", "a", ComposeStrategy.OVERLAY, R.UNSPECIFIED, "overlay-right.json"],
  ["OVERLAY, prefer left", "a", ComposeStrategy.OVERLAY, R.PREFER_LEFT, "overlay-left.json"],
  ["UNION, prefer right", "a", ComposeStrategy.UNION, R.PREFER_RIGHT, "union-right.json"],
  ["UNION, prefer left", "a", ComposeStrategy.UNION, R.PREFER_LEFT, "union-left.json"],
  ["PATCH, prefer right (a failing test is skipped)", "p", ComposeStrategy.PATCH, R.PREFER_RIGHT, "patch-right.json"],
  ["PATCH, prefer left (a patch whose test fails is skipped)", "p", ComposeStrategy.PATCH, R.PREFER_LEFT, "patch-left.json"],
];
for (const [name, set, strategy, resolution, want] of cases) {
  test(`golden: ${name}`, async (ctx) => {
    const ids = set === "a" ? [ctx.s.a, ctx.s.b, ctx.s.c] : [ctx.s.a, ctx.s.p1, ctx.s.p2];
    const { bytes, snapshot } = await composed(ctx, ids.map((s) => s.snapshotId), strategy, resolution);
    assert.is(bytes.toString("utf8"), golden(want));
    assert.is(snapshot.snapshotType, SnapshotType.JSON);
    assert.is(snapshot.resourceType, "settings");
    assert.equal(snapshot.tags, ["composed"]);
    assert.is(snapshot.metadata!.commitMessage, "compose");
  });
}

test("golden: LATEST orders parents by create time, whatever the request order", async (ctx) => {
  const { bytes, job } = await composed(ctx, [ctx.s.b.snapshotId, ctx.s.a.snapshotId], ComposeStrategy.OVERLAY, R.LATEST);
  assert.is(bytes.toString("utf8"), golden("overlay-latest.json"));
  assert.equal(job.result!.details!.parent_snapshot_ids, [ctx.s.a.snapshotId, ctx.s.b.snapshotId]);
});

test("MANUAL: conflicts fail the job, one ABORTED error per conflict naming the path and the parents", async (ctx) => {
  const want = JSON.parse(data("manual-conflicts.json")) as Record<string, string[]>;
  for (const [strategy, ids] of [
    ["OVERLAY", [ctx.s.a, ctx.s.b, ctx.s.c]],
    ["UNION", [ctx.s.a, ctx.s.b, ctx.s.c]],
    ["PATCH", [ctx.s.a, ctx.s.p1, ctx.s.p2]],
  ] as const) {
    const res = await ctx.compose.composeSnapshots({
      storeId: STORE,
      snapshotIds: ids.map((s) => s.snapshotId),
      strategy: ComposeStrategy[strategy],
      conflictResolution: R.MANUAL,
    });
    const job = await waitForJob(ctx.h, STORE, res.job!.jobId);
    assert.is(job.state, JobState.FAILED, strategy);
    assert.equal(job.errors.map((e) => e.subject), want[strategy], strategy);
    assert.ok(job.errors.every((e) => e.code === "ABORTED"));
    // The first conflict is between the base and parent 1 (OVERLAY, UNION) or the failing patch, parent 2 (PATCH).
    const other = strategy === "PATCH" ? ids[2] : ids[1];
    assert.ok(job.errors[0].message.includes(ids[0].snapshotId) && job.errors[0].message.includes(other.snapshotId), job.errors[0].message);
    assert.is(job.attempts, 1, "conflicts are not retried");
  }
});

async function members(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const e of extract) {
      let body = "";
      for await (const c of e) body += (c as Buffer).toString();
      out.push(e.header.type === "directory" ? `${e.header.name}` : `${e.header.name}=${body}`);
    }
  })();
  extract.end(Buffer.from(bytes));
  await reading;
  return out;
}

test("tar overlay: members by path in first-appearance order; left, right and MANUAL", async (ctx) => {
  const ids = [ctx.s.t1.snapshotId, ctx.s.t2.snapshotId];
  const right = await composed(ctx, ids, ComposeStrategy.OVERLAY, R.PREFER_RIGHT);
  assert.is(right.snapshot.snapshotType, SnapshotType.TAR);
  assert.equal(await members(right.bytes), ["a.txt=A1", "dir/", "dir/b.txt=B2", "c.txt=C2"]);
  const left = await composed(ctx, ids, ComposeStrategy.OVERLAY, R.PREFER_LEFT);
  assert.equal(await members(left.bytes), ["a.txt=A1", "dir/", "dir/b.txt=B1", "c.txt=C2"]);
  const manual = await ctx.compose.composeSnapshots({ storeId: STORE, snapshotIds: ids, strategy: ComposeStrategy.OVERLAY, conflictResolution: R.MANUAL });
  const job = await waitForJob(ctx.h, STORE, manual.job!.jobId);
  assert.is(job.state, JobState.FAILED);
  assert.equal(job.errors.map((e) => e.subject), ["dir/b.txt"]);
});

test("JSON nested deeper than 256 fails the job with FAILED_PRECONDITION, not a stack overflow", async (ctx) => {
  const deep = await createSnapshot(ctx.h, STORE, `${"[".repeat(5000)}${"]".repeat(5000)}`);
  const res = await ctx.compose.composeSnapshots({ storeId: STORE, snapshotIds: [ctx.s.a.snapshotId, deep.snapshotId], strategy: ComposeStrategy.UNION });
  const job = await waitForJob(ctx.h, STORE, res.job!.jobId);
  assert.is(job.state, JobState.FAILED);
  assert.is(job.errors[0].code, "FAILED_PRECONDITION");
  assert.match(job.errors[0].message, /deeper than 256/);
});

test("lineage: COMPOSED_FROM from every parent with its ordinal, PRODUCED_BY from the job", async (ctx) => {
  const ids = [ctx.s.a, ctx.s.b, ctx.s.c].map((s) => s.snapshotId);
  const { job, snapshot } = await composed(ctx, ids, ComposeStrategy.UNION, R.PREFER_RIGHT);
  const g = await lineageOf(ctx.h).getLineage({ storeId: STORE, snapshotId: snapshot.snapshotId, direction: LineageDirection.UPSTREAM, depth: 1 });
  const parents = g.edges.filter((e) => e.kind === LineageEdgeKind.COMPOSED_FROM).sort((x, y) => x.ordinal - y.ordinal);
  assert.equal(parents.map((e) => [e.from!.id, e.ordinal]), ids.map((id, i) => [id, i]));
  assert.ok(g.edges.some((e) => e.kind === LineageEdgeKind.PRODUCED_BY && e.from!.id === job.jobId));
});

test("bad requests: INVALID_ARGUMENT for ids and strategy, FAILED_PRECONDITION for mixed types, NOT_FOUND for unknown ids", async (ctx) => {
  const call = (snapshotIds: string[], strategy = ComposeStrategy.OVERLAY) => expectError(ctx.compose.composeSnapshots({ storeId: STORE, snapshotIds, strategy }));
  const { a, b, t1 } = ctx.s;
  assert.is((await call([a.snapshotId])).code, Code.InvalidArgument);
  assert.is((await call([a.snapshotId, a.snapshotId])).code, Code.InvalidArgument);
  assert.is((await call([a.snapshotId, "nope"])).code, Code.InvalidArgument);
  assert.is((await call([a.snapshotId, b.snapshotId], ComposeStrategy.UNSPECIFIED)).code, Code.InvalidArgument);
  assert.is((await call([a.snapshotId, t1.snapshotId])).code, Code.FailedPrecondition);
  assert.is((await call([t1.snapshotId, ctx.s.t2.snapshotId], ComposeStrategy.UNION)).code, Code.FailedPrecondition);
  assert.is((await call([a.snapshotId, "01900000-0000-7000-8000-000000000000"])).code, Code.NotFound);
});

test.run();
