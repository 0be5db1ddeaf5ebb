import { randomBytes } from "node:crypto";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PolicyRunState, PolicyTrigger } from "../../gen/vellum/v1/policy_pb.js";
import { ChangeEvent, PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { SnapshotState } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { startCaptureTarget, type CaptureTarget } from "./support/capture-target-process.js";
import { failureOf, startSecureServer, type SecureServer } from "./support/security-fixtures.js";

/**
 * Capture policies against a real owning service: the capture target is its own process serving
 * RestoreTargetService.CaptureCurrent; the server is the real one (HTTP, Postgres, job runner),
 * reaching the target through the outbound guard (127.0.0.1 allowlisted).
 */
const test = suite<{ s: SecureServer; t: CaptureTarget }>("policies: captures through a real restore-target process");
const STORE = "pol";

test.before(async (ctx) => {
  ctx.t = await startCaptureTarget();
  ctx.s = await startSecureServer({ VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
});
test.after(async (ctx) => {
  await ctx.s.close();
  await ctx.t.stop();
});

const admin = (s: SecureServer) => s.client(PolicyService, { apiKey: s.adminKey });

async function waitRun(s: SecureServer, policyId: string, runId: string) {
  const end = Date.now() + 30_000;
  for (;;) {
    const run = (await admin(s).getPolicyRun({ storeId: STORE, policyId, runId })).run!;
    if (run.state === PolicyRunState.SUCCEEDED || run.state === PolicyRunState.FAILED) return run;
    if (Date.now() > end) throw new Error(`run ${runId} did not end`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function download(s: SecureServer, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of s.client(SnapshotService, { apiKey: s.adminKey }).downloadSnapshot({ storeId: STORE, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

test("policy CRUD: validation, next_run_time, versioned etag updates, delete", async ({ s, t }) => {
  const p = admin(s);
  const bad = await failureOf(p.createPolicy({ storeId: STORE, policy: { name: "n", resourceType: "product", trigger: PolicyTrigger.CRON, cronExpression: "61 * * * *" } }));
  assert.is(bad.code, Code.InvalidArgument);
  assert.match(bad.rawMessage, /policy.cron_expression/);
  const ssrf = await failureOf(p.createPolicy({ storeId: STORE, policy: { name: "n", resourceType: "product", trigger: PolicyTrigger.MANUAL, captureTargetUrl: "http://169.254.169.254/" } }));
  assert.is(ssrf.code, Code.InvalidArgument);
  assert.match(ssrf.rawMessage, /policy.capture_target_url/);

  const created = (await p.createPolicy({ storeId: STORE, policy: { name: "nightly", resourceType: "product", trigger: PolicyTrigger.CRON, cronExpression: "0 2 * * *", timeZone: "Europe/Berlin", captureTargetUrl: t.baseUrl, resourceIds: ["sku-1"] } })).policy!;
  assert.is(created.version, 1n);
  assert.ok(created.enabled);
  assert.is(created.debounce?.seconds, 5n);
  const next = created.nextRunTime!;
  assert.ok(Number(next.seconds) * 1000 > Date.now() && Number(next.seconds) * 1000 <= Date.now() + 86_400_000 + 3_600_000);
  assert.is(new Date(Number(next.seconds) * 1000).toLocaleString("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" }), "02:00");
  assert.is((await failureOf(p.createPolicy({ storeId: STORE, policy: { name: "nightly", resourceType: "product", trigger: PolicyTrigger.MANUAL } }))).code, Code.AlreadyExists);

  const updated = (await p.updatePolicy({ storeId: STORE, policy: { policyId: created.policyId, enabled: false }, updateMask: { paths: ["enabled"] }, etag: created.etag })).policy!;
  assert.is(updated.version, 2n);
  assert.is(updated.enabled, false);
  assert.is(updated.nextRunTime, undefined, "a disabled policy has no next run");
  assert.is((await failureOf(p.updatePolicy({ storeId: STORE, policy: { policyId: created.policyId, retentionDays: 3 }, updateMask: { paths: ["retention_days"] }, etag: created.etag }))).code, Code.Aborted);
  assert.is((await failureOf(p.runPolicy({ storeId: STORE, policyId: created.policyId }))).code, Code.FailedPrecondition);
  assert.equal((await p.listPolicies({ storeId: STORE })).policies.map((x) => x.name), ["nightly"]);
  await p.deletePolicy({ storeId: STORE, policyId: created.policyId, etag: updated.etag });
  assert.is((await failureOf(p.getPolicy({ storeId: STORE, policyId: created.policyId }))).code, Code.NotFound);
});

test("a manual pull run captures through CaptureCurrent; unchanged state creates nothing; keep_latest_n trims", async ({ s, t }) => {
  const p = admin(s);
  const big = randomBytes(300_000);
  await t.set("sku-1", JSON.stringify({ price: 49 }));
  await t.set("url:sku-2", big);
  const policy = (await p.createPolicy({ storeId: STORE, policy: { name: "pull", resourceType: "product", trigger: PolicyTrigger.MANUAL, captureTargetUrl: t.baseUrl, resourceIds: ["sku-1", "url:sku-2"], keepLatestN: 2, tagsToInclude: ["captured"], retentionDays: 30 } })).policy!;
  const queued = (await p.runPolicy({ storeId: STORE, policyId: policy.policyId })).run!;
  assert.is(queued.state, PolicyRunState.QUEUED);
  const first = await waitRun(s, policy.policyId, queued.runId);
  assert.is(first.state, PolicyRunState.SUCCEEDED, JSON.stringify(first.errors));
  assert.is(first.snapshotIds.length, 2);
  const snaps = s.client(SnapshotService, { apiKey: s.adminKey });
  const one = (await snaps.getSnapshot({ storeId: STORE, snapshotId: first.snapshotIds[0] })).snapshot!;
  assert.equal([one.resourceId, one.tags, one.createdBy], ["sku-1", ["captured"], `policy:${policy.policyId}`]);
  assert.ok(one.expireTime, "retention_days sets the ttl");
  assert.is((await download(s, first.snapshotIds[0])).toString(), JSON.stringify({ price: 49 }));
  assert.ok((await download(s, first.snapshotIds[1])).equals(big), "content_url content is byte-exact");
  const edges = await s.server.services.database.sql`select kind, from_kind, from_id, to_id, job_id from lineage_edges where to_id = ${first.snapshotIds[0]} order by kind`;
  assert.equal(edges.map((e) => [e.kind, e.from_kind, e.from_id]), [
    ["CAPTURED_FROM", "RESOURCE", `${new URL(t.baseUrl).host}/product/sku-1`],
    ["PRODUCED_BY", "JOB", first.jobId],
  ]);

  const audit = s.client(AuditService, { apiKey: s.adminKey });
  const completed = (await audit.listAuditEvents({ storeId: STORE, action: "policy.run.completed" })).events.filter((e) => e.resourceId === policy.policyId);
  assert.is(completed.length, 1, "the run's end is audited");
  assert.is(completed[0].actor, `policy:${policy.policyId}`);
  assert.ok((await audit.verifyAuditChain({ storeId: STORE })).ok, "the chain still verifies");
  const again = await waitRun(s, policy.policyId, (await p.runPolicy({ storeId: STORE, policyId: policy.policyId })).run!.runId);
  assert.equal([again.snapshotIds, again.unchangedResourceIds], [[], ["sku-1", "url:sku-2"]], "unchanged state is deduplicated");

  const ids = [first.snapshotIds[0]];
  for (const price of [39, 29]) {
    await t.set("sku-1", JSON.stringify({ price }));
    const r = await waitRun(s, policy.policyId, (await p.runPolicy({ storeId: STORE, policyId: policy.policyId, resourceIds: ["sku-1"] })).run!.runId);
    assert.equal(r.resourceIds, ["sku-1"]);
    ids.push(r.snapshotIds[0]);
  }
  const states = await Promise.all(ids.map(async (id) => (await snaps.getSnapshot({ storeId: STORE, snapshotId: id })).snapshot!.state));
  assert.equal(states, [SnapshotState.DELETED, SnapshotState.ACTIVE, SnapshotState.ACTIVE], "keep_latest_n = 2 soft-deletes the oldest");
  assert.equal((await p.listPolicyRuns({ storeId: STORE, policyId: policy.policyId, pageSize: 2 })).runs.length, 2);
});

test("failures are recorded per resource: not found, refused, a flaky target is retried", async ({ s, t }) => {
  const p = admin(s);
  await t.set("flaky", "{}");
  const policy = (await p.createPolicy({ storeId: STORE, policy: { name: "failing", resourceType: "product", trigger: PolicyTrigger.MANUAL, captureTargetUrl: t.baseUrl } })).policy!;
  assert.is((await failureOf(p.runPolicy({ storeId: STORE, policyId: policy.policyId }))).code, Code.FailedPrecondition, "no resources");
  const run = await waitRun(s, policy.policyId, (await p.runPolicy({ storeId: STORE, policyId: policy.policyId, resourceIds: ["missing", "refuse", "flaky"] })).run!.runId);
  assert.is(run.state, PolicyRunState.FAILED);
  assert.equal(run.errors.map((e) => [e.resourceId, e.code]), [["missing", "NOT_FOUND"], ["refuse", "FAILED_PRECONDITION"]]);
  assert.match(run.errors[1].message, /resource is being migrated/);
  assert.is(run.snapshotIds.length, 1, "the flaky resource was captured on retry");
});

test("a target that stalls: cancelling the run's job ends the run FAILED, promptly", async ({ s, t }) => {
  const p = admin(s);
  const policy = (await p.createPolicy({ storeId: STORE, policy: { name: "stalling", resourceType: "product", trigger: PolicyTrigger.MANUAL, captureTargetUrl: t.baseUrl } })).policy!;
  const queued = (await p.runPolicy({ storeId: STORE, policyId: policy.policyId, resourceIds: ["stall"] })).run!;
  const jobs = s.client(JobService, { apiKey: s.adminKey });
  for (let i = 0; i < 600 && !(await t.calls()).includes("stall"); i++) await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await jobs.cancelJob({ storeId: STORE, jobId: queued.jobId });
  const run = await waitRun(s, policy.policyId, queued.runId);
  assert.ok(Date.now() - t0 < 10_000, "the stalled call was abandoned");
  assert.is(run.state, PolicyRunState.FAILED);
  assert.equal(run.errors.map((e) => [e.resourceId, e.code, e.message]), [["stall", "CANCELLED", "the run was cancelled"]]);
  let job = (await jobs.getJob({ storeId: STORE, jobId: queued.jobId })).job!;
  for (let i = 0; i < 200 && job.state === JobState.RUNNING; i++) {
    await new Promise((r) => setTimeout(r, 50)); // the run is written before the job ends
    job = (await jobs.getJob({ storeId: STORE, jobId: queued.jobId })).job!;
  }
  assert.is(job.state, JobState.CANCELLED);
  assert.is(job.type, JobType.RUN_POLICY);
});

test("a pushed payload is stored inside RunPolicy; NotifyChange debounces a burst into one capture", async ({ s, t }) => {
  const p = admin(s);
  const push = (await p.createPolicy({ storeId: STORE, policy: { name: "push", resourceType: "page", trigger: PolicyTrigger.MANUAL } })).policy!;
  const run = (await p.runPolicy({ storeId: STORE, policyId: push.policyId, resourceId: "home", payload: { case: "json", value: fromJson(ValueSchema, { title: "Home" }) } })).run!;
  assert.is(run.state, PolicyRunState.SUCCEEDED);
  assert.is((await download(s, run.snapshotIds[0])).toString(), '{"title":"Home"}');
  assert.is((await failureOf(p.runPolicy({ storeId: STORE, policyId: push.policyId, resourceIds: ["home"] }))).code, Code.FailedPrecondition, "no capture target");

  await t.set("sku-9", "v1");
  const onChange = (await p.createPolicy({ storeId: STORE, policy: { name: "on-change", resourceType: "catalog", trigger: PolicyTrigger.ON_CHANGE, captureTargetUrl: t.baseUrl, debounce: { seconds: 5n } } })).policy!;
  const t0 = Date.now();
  // 100 notifications in about 2 s: ten batches of ten concurrent calls, 200 ms apart.
  for (let batch = 0; batch < 10; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => p.notifyChange({ storeId: STORE, resourceType: "catalog", resourceId: "sku-9", event: ChangeEvent.ON_CHANGE })));
    for (const r of answers) assert.equal(r.policyIds, [onChange.policyId]);
    await new Promise((res) => setTimeout(res, 200));
  }
  const lastNotify = Date.now();
  void t0; // the burst lasts about 2 s (longer on a loaded machine: every notification restarts the quiet period)
  let runs = (await p.listPolicyRuns({ storeId: STORE, policyId: onChange.policyId })).runs;
  assert.is(runs.length, 0, "nothing runs during the burst");
  const end = Date.now() + 30_000;
  while (!(runs.length === 1 && runs[0].state === PolicyRunState.SUCCEEDED) && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 100));
    runs = (await p.listPolicyRuns({ storeId: STORE, policyId: onChange.policyId })).runs;
  }
  assert.is(runs.length, 1);
  assert.ok(Number(runs[0].createTime!.seconds) * 1000 >= lastNotify + 3000, "the capture waited for the quiet period after the last notification");
  await new Promise((res) => setTimeout(res, 1000));
  assert.is((await t.calls()).filter((c) => c === "sku-9").length, 1, "one capture for the burst");
  assert.is((await failureOf(p.notifyChange({ storeId: STORE, resourceType: "catalog", resourceId: "sku-9" }))).code, Code.InvalidArgument);
});

test("bad bytes and publishes: a digest mismatch fails the resource with DATA_LOSS; ON_PUBLISH captures at once", async ({ s, t }) => {
  const p = admin(s);
  await t.set("badsha:x", "not what the digest says");
  await t.set("pub-1", '{"published":true}');
  const policy = (await p.createPolicy({ storeId: STORE, policy: { name: "publish", resourceType: "page", trigger: PolicyTrigger.ON_PUBLISH, captureTargetUrl: t.baseUrl } })).policy!;
  const bad = await waitRun(s, policy.policyId, (await p.runPolicy({ storeId: STORE, policyId: policy.policyId, resourceIds: ["badsha:x"] })).run!.runId);
  assert.equal(bad.errors.map((e) => [e.resourceId, e.code]), [["badsha:x", "DATA_LOSS"]]);
  assert.is(bad.snapshotIds.length, 0);
  const notified = await p.notifyChange({ storeId: STORE, resourceType: "page", resourceId: "pub-1", event: ChangeEvent.ON_PUBLISH });
  assert.equal(notified.policyIds, [policy.policyId]);
  assert.ok(Math.abs(Number(notified.captureTime!.seconds) * 1000 - Date.now()) < 5000, "no debounce for publishes");
  let runs = (await p.listPolicyRuns({ storeId: STORE, policyId: policy.policyId })).runs;
  for (let i = 0; i < 300 && !runs.some((r) => r.trigger === PolicyTrigger.ON_PUBLISH && r.state === PolicyRunState.SUCCEEDED); i++) {
    await new Promise((res) => setTimeout(res, 50));
    runs = (await p.listPolicyRuns({ storeId: STORE, policyId: policy.policyId })).runs;
  }
  const published = runs.find((r) => r.trigger === PolicyTrigger.ON_PUBLISH)!;
  assert.equal([published.state, published.resourceIds, published.snapshotIds.length], [PolicyRunState.SUCCEEDED, ["pub-1"], 1]);
});

// Last: it stops the target process.
test("a target that died: the run retries, then fails the resource with UNAVAILABLE", async ({ s, t }) => {
  const p = admin(s);
  const policy = (await p.createPolicy({ storeId: STORE, policy: { name: "dead", resourceType: "product", trigger: PolicyTrigger.MANUAL, captureTargetUrl: t.baseUrl } })).policy!;
  await t.stop();
  const run = await waitRun(s, policy.policyId, (await p.runPolicy({ storeId: STORE, policyId: policy.policyId, resourceIds: ["sku-1"] })).run!.runId);
  assert.is(run.state, PolicyRunState.FAILED);
  assert.equal(run.errors.map((e) => [e.resourceId, e.code]), [["sku-1", "UNAVAILABLE"]]);
  assert.not.match(run.errors[0].message, /at |stack|Error:/, "no stack traces");
});

test.run();
