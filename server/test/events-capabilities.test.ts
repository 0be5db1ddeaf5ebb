import { fromJson, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { ComposeService, ComposeStrategy, ConflictResolution } from "../../gen/vellum/v1/compose_service_pb.js";
import type { Event } from "../../gen/vellum/v1/event_pb.js";
import { EventService } from "../../gen/vellum/v1/event_service_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { LineageDirection, LineageEdgeKind, LineageNodeKind } from "../../gen/vellum/v1/lineage_pb.js";
import { LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { PolicyRunState, PolicyTrigger } from "../../gen/vellum/v1/policy_pb.js";
import { PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { RestoreMode, RestoreTargetProtocol } from "../../gen/vellum/v1/restore_pb.js";
import { RestoreService } from "../../gen/vellum/v1/restore_service_pb.js";
import { TransferService } from "../../gen/vellum/v1/transfer_service_pb.js";
import { startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "./support/restore-fixture.js";
import { tempDir } from "./support/test-server.js";

/**
 * The job-backed capabilities end to end (an API process without workers, a worker process, a
 * restore target process): compose, export + import, a pushed policy run and a restore each put
 * their completion event in the outbox once, and their lineage edges form one graph.
 */
const test = suite("events and lineage of compose, export, import, policy runs and restores");

const root = tempDir("vellum-export-root-");
let rig: RestoreRig;
let target: TargetProcess;
const ids: Record<"a" | "b" | "composed" | "imported" | "pushed" | "captured" | "composeJob" | "exportJob" | "importJob" | "restoreJob", string> = {} as never;
let cursor = 0n;

const TYPES = ["snapshot.composed", "snapshot.exported", "snapshot.imported", "policy.run.completed", "snapshot.restored"];

async function done(jobId: string) {
  const job = await rig.waitFor(jobId, [JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED]);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  return job;
}

test.before(async () => {
  rig = await startRestoreRig({ VELLUM_EXPORT_ROOT: root.path });
  target = await startTarget();
  await rig.startWorker();
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "pim", resourceType: "product", endpoint: target.grpcUrl, protocol: RestoreTargetProtocol.GRPC, timeoutMs: 5000 });
  ids.a = (await rig.snapshot("lamp", { name: "Lamp", price: 39 })).snapshotId;
  ids.b = (await rig.snapshot("lamp-de", { price: 42, locale: "de" })).snapshotId;
  const events = rig.secure.client(EventService, rig.admin);
  for (;;) {
    const page = await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000 });
    if (page.nextAfterEventId === cursor) break;
    cursor = page.nextAfterEventId;
  }

  const compose = rig.secure.client(ComposeService, rig.admin);
  const composed = await compose.composeSnapshots({ storeId: STORE, snapshotIds: [ids.a, ids.b], strategy: ComposeStrategy.OVERLAY, resourceType: "product", resourceId: "lamp" });
  ids.composeJob = composed.job!.jobId;
  ids.composed = (await done(ids.composeJob)).result!.snapshotId;

  const transfer = rig.secure.client(TransferService, rig.admin);
  const exp = await transfer.exportSnapshot({ storeId: STORE, snapshotId: ids.composed, destination: `file://${root.path}/out` });
  ids.exportJob = exp.job!.jobId;
  const location = (await done(ids.exportJob)).result!.details!.location as string;
  const imp = await transfer.importSnapshot({ storeId: STORE, source: location });
  ids.importJob = imp.job!.jobId;
  ids.imported = (await done(ids.importJob)).result!.snapshotId;

  const policies = rig.secure.client(PolicyService, rig.admin);
  const push = (await policies.createPolicy({ storeId: STORE, policy: { name: "push", resourceType: "page", trigger: PolicyTrigger.MANUAL } })).policy!;
  const run = (await policies.runPolicy({ storeId: STORE, policyId: push.policyId, resourceId: "home", payload: { case: "json", value: fromJson(ValueSchema, { title: "Home" }) } })).run!;
  assert.is(run.state, PolicyRunState.SUCCEEDED);
  ids.pushed = run.snapshotIds[0];

  await target.seed("lamp", new TextEncoder().encode(JSON.stringify({ name: "Lamp", price: 45, live: true })));
  const restore = await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: ids.imported, targetService: "pim", restoreMode: RestoreMode.APPLY, preserveCurrentVersion: true });
  ids.restoreJob = restore.job!.jobId;
  await done(ids.restoreJob);
  ids.captured = (await rig.restore.getRestore({ storeId: STORE, jobId: ids.restoreJob })).restore!.capturedSnapshotId;
});

test.after(async () => {
  await stopProcess(target);
  await rig?.close();
  root.remove();
});

const expected = () => [
  ["snapshot.composed", ids.composed, ids.composeJob],
  ["snapshot.exported", ids.composed, ids.exportJob],
  ["snapshot.imported", ids.imported, ids.importJob],
  ["policy.run.completed", "", ""],
  ["snapshot.restored", ids.imported, ids.restoreJob],
];
/** An event's data: the audited state (a job with its result, a policy run, an approval). */
type EventData = { jobId?: string; type?: string; snapshotIds?: string[]; result?: { snapshotId?: string; details?: Record<string, unknown> } };
const dataOf = (e: Event) => toJson(ValueSchema, e.data!) as EventData;
const shape = (e: Event) => [e.type, e.snapshotId, e.type === "policy.run.completed" ? "" : dataOf(e).jobId];

test("ListEvents: each completion once, in order, naming the snapshot and the job", async () => {
  const events = rig.secure.client(EventService, rig.admin);
  const page = await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000, filter: { types: TYPES } });
  assert.equal(page.events.map(shape), expected());
  const [composed, , imported, policyRun, restored] = page.events;
  assert.is(composed.resourceType, "snapshot");
  assert.is(composed.subjectResourceType, "product");
  assert.is(composed.actor, "system:jobs");
  assert.is(dataOf(imported).result!.snapshotId, ids.imported);
  assert.equal(dataOf(policyRun).snapshotIds, [ids.pushed]);
  assert.is(dataOf(restored).result!.details!.captured_snapshot_id, ids.captured);
  assert.is(dataOf(restored).type, "RESTORE_SNAPSHOT");

  const all = await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000 });
  const types = all.events.map((e) => e.type);
  for (const t of TYPES) assert.is(types.filter((x) => x === t).length, 1, `${t} exactly once`);
  assert.ok(types.includes("job.created"), "the jobs' creations are events too");
  assert.not.ok(types.includes("job.failed"));
});

test("WatchEvents replays the same events from the cursor", async () => {
  const events = rig.secure.client(EventService, rig.admin);
  const abort = new AbortController();
  const seen: Event[] = [];
  try {
    for await (const m of events.watchEvents({ storeId: STORE, afterEventId: cursor, filter: { types: TYPES } }, { signal: abort.signal })) {
      if (m.event) seen.push(m.event);
      if (seen.length === TYPES.length) break;
    }
  } finally {
    abort.abort();
  }
  assert.equal(seen.map(shape), expected());
});

test("GetLineage of the resource: COMPOSED_FROM, IMPORTED_FROM, RESTORED_FROM, CAPTURED_FROM and PRODUCED_BY from the real jobs", async () => {
  const lineage = rig.secure.client(LineageService, rig.admin);
  const g = await lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "lamp", direction: LineageDirection.BOTH, depth: 3 });
  const edges = g.edges.map((e) => `${LineageEdgeKind[e.kind]} ${e.from!.id} -> ${e.to!.id} ${e.jobId}`).sort();
  const archive = `file://${root.path}/out/${ids.composed}.vellum`;
  const resource = "pim/product/lamp";
  assert.equal(
    edges,
    [
      `COMPOSED_FROM ${ids.a} -> ${ids.composed} ${ids.composeJob}`,
      `COMPOSED_FROM ${ids.b} -> ${ids.composed} ${ids.composeJob}`,
      `PRODUCED_BY ${ids.composeJob} -> ${ids.composed} ${ids.composeJob}`,
      `CONSUMED_BY ${ids.composed} -> ${archive} ${ids.exportJob}`,
      `IMPORTED_FROM ${archive} -> ${ids.imported} ${ids.importJob}`,
      `PRODUCED_BY ${ids.importJob} -> ${ids.imported} ${ids.importJob}`,
      `RESTORED_FROM ${ids.imported} -> ${resource} ${ids.restoreJob}`,
      `CAPTURED_FROM ${resource} -> ${ids.captured} ${ids.restoreJob}`,
      `PRODUCED_BY ${ids.restoreJob} -> ${ids.captured} ${ids.restoreJob}`,
      `VERSION_OF ${ids.a} -> product/lamp@1 `,
      `VERSION_OF ${ids.composed} -> product/lamp@2 `,
      `VERSION_OF ${ids.imported} -> product/lamp@3 `,
      `VERSION_OF ${ids.captured} -> product/lamp@4 `,
    ].sort(),
  );
  const nodes = g.nodes.map((n) => `${LineageNodeKind[n.ref!.kind]} ${n.ref!.id}`).sort();
  assert.equal(
    nodes,
    [
      ...[ids.a, ids.b, ids.composed, ids.imported, ids.captured].map((id) => `SNAPSHOT ${id}`),
      ...[1, 2, 3, 4].map((v) => `VERSION product/lamp@${v}`),
      ...[ids.composeJob, ids.importJob, ids.restoreJob].map((id) => `JOB ${id}`),
      `RESOURCE ${resource}`,
      `EXTERNAL ${archive}`,
    ].sort(),
  );
  const roots = g.nodes.filter((n) => n.root).map((n) => n.ref!.id);
  assert.equal(roots.sort(), [ids.a, ids.composed, ids.imported, ids.captured, ...[1, 2, 3, 4].map((v) => `product/lamp@${v}`)].sort(), "the resource's snapshots and versions are the roots");
  assert.is(g.truncated, false);
});

test("a restore is requested as job.created; a dry run and a failed compose are no completions, a failure is job.failed", async () => {
  const events = rig.secure.client(EventService, rig.admin);
  const from = (await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000 })).nextAfterEventId;
  const requested = (await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000, filter: { types: ["job.created"] } })).events;
  assert.equal(requested.filter((e) => e.resourceId === ids.restoreJob).map((e) => [dataOf(e).type, e.snapshotId]), [["RESTORE_SNAPSHOT", ids.imported]]);

  const dry = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: ids.a, targetService: "pim", restoreMode: RestoreMode.DRY_RUN })).job!.jobId;
  await done(dry);
  const compose = rig.secure.client(ComposeService, rig.admin);
  // Both set "price": MANUAL resolution fails the job with the conflict.
  const conflict = (await compose.composeSnapshots({ storeId: STORE, snapshotIds: [ids.a, ids.b], strategy: ComposeStrategy.OVERLAY, conflictResolution: ConflictResolution.MANUAL })).job!.jobId;
  assert.is((await rig.waitFor(conflict, [JobState.SUCCEEDED, JobState.FAILED])).state, JobState.FAILED);
  const page = await events.listEvents({ storeId: STORE, afterEventId: from, pageSize: 1000, filter: { types: [...TYPES, "job.failed"] } });
  assert.equal(page.events.map((e) => [e.type, e.resourceId]), [["job.failed", conflict]]);
});

// An approval is requested before its restore job exists (the job's job.created follows), so only
// its decision names the job.
test("approvals: requested, approved and rejected are events naming the snapshot; decisions name the waiting job", async () => {
  const events = rig.secure.client(EventService, rig.admin);
  const from = (await events.listEvents({ storeId: STORE, afterEventId: cursor, pageSize: 1000 })).nextAfterEventId;
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "erp", resourceType: "product", endpoint: target.grpcUrl, protocol: RestoreTargetProtocol.GRPC, critical: true });
  const keys = rig.secure.client(ApiKeyService, rig.admin);
  const approver = rig.secure.client(RestoreService, { apiKey: (await keys.createApiKey({ name: "bob", scopes: ["snapshot:admin"], storeIds: [STORE] })).key });
  const waiting = async () => {
    const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: ids.a, targetService: "erp", restoreMode: RestoreMode.APPLY, reason: "check" })).job!;
    const approval = (await rig.restore.listApprovals({ storeId: STORE })).approvals.find((a) => a.jobId === job.jobId)!;
    return { jobId: job.jobId, approvalId: approval.approvalId };
  };
  const rejected = await waiting();
  await approver.rejectRestore({ storeId: STORE, approvalId: rejected.approvalId, comment: "no" });
  const approved = await waiting();
  await approver.approveRestore({ storeId: STORE, approvalId: approved.approvalId });
  await done(approved.jobId);
  const page = await events.listEvents({ storeId: STORE, afterEventId: from, pageSize: 1000, filter: { types: ["approval.*", "snapshot.restored"] } });
  assert.equal(
    page.events.map((e) => [e.type, e.resourceId, e.snapshotId, dataOf(e).jobId]),
    [
      ["approval.requested", rejected.approvalId, ids.a, undefined],
      ["approval.rejected", rejected.approvalId, ids.a, rejected.jobId],
      ["approval.requested", approved.approvalId, ids.a, undefined],
      ["approval.approved", approved.approvalId, ids.a, approved.jobId],
      ["snapshot.restored", ids.a, ids.a, approved.jobId],
    ],
  );
});

test.run();
