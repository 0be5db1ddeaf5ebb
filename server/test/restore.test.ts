import { createHash } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { RestoreMode, RestoreTargetProtocol } from "../../gen/vellum/v1/restore_pb.js";
import { LineageEdgeKind } from "../../gen/vellum/v1/lineage_pb.js";
import { LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { failureOf } from "./support/security-fixtures.js";
import { sleep, startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "./support/restore-fixture.js";

/**
 * RestoreService end to end: the API (no workers), worker processes (the production composition)
 * and restore target processes written with the SDK's createRestoreTarget.
 */
const test = suite("restore: real target and worker processes");

let rig: RestoreRig;
let target: TargetProcess;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test.before(async () => {
  rig = await startRestoreRig();
  target = await startTarget({ AUTH_SECRET: "t0p-secret" });
  await rig.startWorker();
  await rig.restore.registerRestoreTarget({
    storeId: STORE,
    targetService: "pim",
    resourceType: "product",
    endpoint: target.grpcUrl,
    protocol: RestoreTargetProtocol.GRPC,
    timeoutMs: 5000,
    authSecret: "Bearer t0p-secret",
  });
});

test.after(async () => {
  await stopProcess(target);
  await rig?.close();
});

test("registration: the secret is write-only, the endpoint is SSRF-checked, duplicates are ALREADY_EXISTS", async () => {
  const { targets } = await rig.restore.listRestoreTargets({ storeId: STORE });
  assert.is(targets.length, 1);
  assert.is(targets[0].hasAuthSecret, true);
  assert.not.ok(JSON.stringify(targets[0], (_, v) => (typeof v === "bigint" ? String(v) : v)).includes("t0p-secret"), "the secret is never returned");
  const meta = await failureOf(
    rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "meta", resourceType: "product", endpoint: "http://169.254.169.254/", protocol: RestoreTargetProtocol.GRPC }),
  );
  assert.is(meta.code, Code.InvalidArgument);
  assert.ok(meta.rawMessage.includes("endpoint"));
  const dup = await failureOf(rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "pim", resourceType: "product", endpoint: target.grpcUrl, protocol: RestoreTargetProtocol.GRPC }));
  assert.is(dup.code, Code.AlreadyExists);
  const other = await rig.restore.listRestoreTargets({ storeId: "other-store" });
  assert.is(other.targets.length, 0, "another store sees none");
});

test("DRY_RUN: the job's result holds the target's plan and nothing changes", async () => {
  const s = await rig.snapshot("p-dry", { name: "Lamp", price: 39 });
  const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.DRY_RUN })).job!;
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  assert.ok(r.plan!.summary.startsWith("p-dry: new"));
  assert.equal(r.plan!.warnings, ["the resource does not exist yet"]);
  assert.is(r.plan!.changes[0].path, "/p-dry");
  assert.is(r.appliedDigest, "");
  const st = await target.state();
  assert.is(st.resources["p-dry"], undefined, "a dry run changes nothing");
  assert.ok(st.authorization.every((a) => a === "Bearer t0p-secret"), "the registered secret reaches the target");
});

test("APPLY with preserve_current_version: byte-identical content by SHA-256, the pre-restore state captured, lineage recorded", async () => {
  const before = new TextEncoder().encode(JSON.stringify({ name: "Lamp", price: 49, live: true }));
  await target.seed("p-apply", before);
  const s = await rig.snapshot("p-apply", { name: "Lamp", price: 39 });
  const job = (
    await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY, preserveCurrentVersion: true })
  ).job!;
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  assert.is(r.appliedDigest, s.sha256);
  assert.is((await target.state()).resources["p-apply"], sha(s.bytes), "the target holds the snapshot's exact bytes");
  assert.ok(r.capturedSnapshotId, "the current state was captured");
  const captured = (await rig.snapshots.getSnapshot({ storeId: STORE, snapshotId: r.capturedSnapshotId })).snapshot!;
  assert.is(captured.sha256, sha(before), "the capture is the state the restore replaced");
  assert.is(captured.resourceId, "p-apply");
  assert.ok(r.job!.logLines.some((l) => l.line.includes("captured the current state")));
  const lineage = rig.secure.client(LineageService, rig.admin);
  const g = await lineage.getLineage({ storeId: STORE, snapshotId: s.snapshotId, depth: 1 });
  const restored = g.edges.find((e) => e.kind === LineageEdgeKind.RESTORED_FROM);
  assert.ok(restored, "RESTORED_FROM edge");
  assert.is(restored!.to!.id, "pim/product/p-apply");
  assert.is(restored!.jobId, job.jobId);
  const around = await lineage.getLineage({ storeId: STORE, snapshotId: r.capturedSnapshotId, depth: 1 });
  const into = around.edges.filter((e) => e.to!.id === r.capturedSnapshotId).map((e) => e.kind).sort();
  assert.equal(into, [LineageEdgeKind.PRODUCED_BY, LineageEdgeKind.CAPTURED_FROM].sort(), "CAPTURED_FROM and PRODUCED_BY reach the capture");
});

test("APPLY_WITH_PREVIEW waits in AWAITING_CONFIRMATION with the plan, ConfirmRestore applies", async () => {
  const s = await rig.snapshot("p-preview", { name: "Desk", price: 199 });
  const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY_WITH_PREVIEW })).job!;
  const parked = await rig.waitFor(job.jobId, [JobState.AWAITING_CONFIRMATION, JobState.FAILED, JobState.SUCCEEDED]);
  assert.is(parked.state, JobState.AWAITING_CONFIRMATION, JSON.stringify(parked.errors));
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  assert.ok(r.plan!.summary.includes("p-preview"));
  await sleep(500);
  assert.is((await target.state()).resources["p-preview"], undefined, "nothing applied before the confirmation");
  const early = await failureOf(rig.restore.confirmRestore({ storeId: STORE, jobId: "01900000-0000-7000-8000-000000000000" }));
  assert.is(early.code, Code.NotFound);
  await rig.restore.confirmRestore({ storeId: STORE, jobId: job.jobId });
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  assert.is((await target.state()).resources["p-preview"], s.sha256);
  const again = await failureOf(rig.restore.confirmRestore({ storeId: STORE, jobId: job.jobId }));
  assert.is(again.code, Code.FailedPrecondition);
  const final = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  assert.ok(final.plan, "the plan stays on the restore after it applied");
});

test("a previewed restore is abandoned by CancelJob", async () => {
  const s = await rig.snapshot("p-abandon", { name: "Chair" });
  const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY_WITH_PREVIEW })).job!;
  assert.is((await rig.waitFor(job.jobId, [JobState.AWAITING_CONFIRMATION])).state, JobState.AWAITING_CONFIRMATION);
  await rig.jobs.cancelJob({ storeId: STORE, jobId: job.jobId });
  assert.is((await rig.jobs.getJob({ storeId: STORE, jobId: job.jobId })).job!.state, JobState.CANCELLED);
  assert.is((await failureOf(rig.restore.confirmRestore({ storeId: STORE, jobId: job.jobId }))).code, Code.FailedPrecondition);
});

test("a locked snapshot is FAILED_PRECONDITION; bad requests are INVALID_ARGUMENT; unknown targets NOT_FOUND", async () => {
  const s = await rig.snapshot("p-locked", { name: "Vault" });
  const adminSvc = rig.secure.client(SnapshotAdminService, rig.admin);
  await adminSvc.lockSnapshot({ storeId: STORE, snapshotId: s.snapshotId, reason: "audit in progress" });
  const locked = await failureOf(rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY }));
  assert.is(locked.code, Code.FailedPrecondition);
  assert.ok(locked.rawMessage.includes("locked"));
  const bad = await failureOf(rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: "nope", targetService: "pim" }));
  assert.is(bad.code, Code.InvalidArgument);
  const s2 = await rig.snapshot("p-x", {});
  assert.is((await failureOf(rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s2.snapshotId, targetService: "ghost", restoreMode: RestoreMode.APPLY }))).code, Code.NotFound);
});

test("the same idempotency key returns the first restore job", async () => {
  const s = await rig.snapshot("p-idem", { v: 1 });
  const req = { storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.DRY_RUN, idempotencyKey: "dry-once" };
  const a = (await rig.restore.restoreSnapshot(req)).job!;
  await rig.waitFor(a.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  const b = (await rig.restore.restoreSnapshot(req)).job!;
  assert.is(b.jobId, a.jobId);
});

test("update and delete targets: fields change, the secret can be removed, a deleted target is NOT_FOUND for restores", async () => {
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "tmp", resourceType: "product", endpoint: target.httpUrl, protocol: RestoreTargetProtocol.CONNECT, authSecret: "x" });
  const bad = await failureOf(rig.restore.updateRestoreTarget({ storeId: STORE, targetService: "tmp", timeoutMs: 5, endpoint: "http://10.0.0.1/" }));
  assert.is(bad.code, Code.InvalidArgument);
  const updated = (await rig.restore.updateRestoreTarget({ storeId: STORE, targetService: "tmp", timeoutMs: 1234, critical: true, authSecret: "" })).target!;
  assert.is(updated.timeoutMs, 1234);
  assert.is(updated.critical, true);
  assert.is(updated.hasAuthSecret, false);
  assert.is(updated.endpoint, target.httpUrl, "unset fields stay");
  const page1 = await rig.restore.listRestoreTargets({ storeId: STORE, pageSize: 1 });
  assert.is(page1.targets.length, 1);
  const page2 = await rig.restore.listRestoreTargets({ storeId: STORE, pageSize: 1, pageToken: page1.nextPageToken });
  assert.is.not(page2.targets[0].targetService, page1.targets[0].targetService);
  await rig.restore.deleteRestoreTarget({ storeId: STORE, targetService: "tmp" });
  assert.is((await failureOf(rig.restore.deleteRestoreTarget({ storeId: STORE, targetService: "tmp" }))).code, Code.NotFound);
  const s = await rig.snapshot("p-gone", {});
  assert.is((await failureOf(rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "tmp", restoreMode: RestoreMode.DRY_RUN }))).code, Code.NotFound);
  const other = await failureOf(rig.restore.restoreSnapshot({ storeId: "other-store", snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.DRY_RUN }));
  assert.is(other.code, Code.NotFound, "another store's snapshot does not exist there");
});

test.run();
