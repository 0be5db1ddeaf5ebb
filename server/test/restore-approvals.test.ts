import { Code, type ConnectError } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { ApprovalState, RestoreMode, RestoreTargetProtocol } from "../../gen/vellum/v1/restore_pb.js";
import { RestoreService } from "../../gen/vellum/v1/restore_service_pb.js";
import { failureOf, type Credential } from "./support/security-fixtures.js";
import { sleep, startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "./support/restore-fixture.js";

/** Approvals for critical targets, and rollbacks, against a real target and worker process. */
const test = suite("restore: approvals and rollback");

let rig: RestoreRig;
let erp: TargetProcess;
let pim: TargetProcess;
let initiator: Credential;
let approver: Credential;
let writer: Credential;
const client = (c: Credential) => rig.secure.client(RestoreService, c);
const reasonOf = (e: ConnectError) => e.findDetails(ErrorInfoSchema)[0]?.reason;

test.before(async () => {
  rig = await startRestoreRig();
  erp = await startTarget();
  pim = await startTarget();
  await rig.startWorker();
  const keys = rig.secure.client(ApiKeyService, rig.admin);
  const key = async (name: string, scopes: string[]) => ({ apiKey: (await keys.createApiKey({ name, scopes, storeIds: [STORE] })).key });
  initiator = await key("alice", ["snapshot:admin"]);
  approver = await key("bob", ["snapshot:admin"]);
  writer = await key("carol", ["snapshot:write"]);
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "erp", resourceType: "product", endpoint: erp.grpcUrl, protocol: RestoreTargetProtocol.GRPC, critical: true });
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "pim", resourceType: "product", endpoint: pim.httpUrl, protocol: RestoreTargetProtocol.CONNECT });
});

test.after(async () => {
  await stopProcess(erp);
  await stopProcess(pim);
  await rig?.close();
});

test("a critical target's restore waits for approval; self-approval is refused; another admin's approval runs it; every step is audited", async () => {
  const s = await rig.snapshot("p-crit", { name: "Press", price: 5 });
  const job = (
    await client(initiator).restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", restoreMode: RestoreMode.APPLY, reason: "price regression" })
  ).job!;
  assert.is(job.state, JobState.AWAITING_APPROVAL);
  await sleep(1500);
  assert.is((await rig.jobs.getJob({ storeId: STORE, jobId: job.jobId })).job!.state, JobState.AWAITING_APPROVAL, "no worker takes a job waiting for approval");
  assert.is((await erp.state()).apply, 0, "the target never received ApplyRestore");

  const pending = (await rig.restore.listApprovals({ storeId: STORE, state: ApprovalState.PENDING })).approvals;
  const approval = pending.find((a) => a.jobId === job.jobId)!;
  assert.ok(approval, "the restore requested an approval");
  assert.is(approval.reason, "price regression");
  assert.is((await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!.approvalId, "", "not approved yet");

  const self = await failureOf(client(initiator).approveRestore({ storeId: STORE, approvalId: approval.approvalId }));
  assert.is(self.code, Code.PermissionDenied);
  assert.is(reasonOf(self), "SELF_APPROVAL");
  const noAdmin = await failureOf(client(writer).approveRestore({ storeId: STORE, approvalId: approval.approvalId }));
  assert.is(noAdmin.code, Code.PermissionDenied, "approving needs snapshot:admin");

  const ok = (await client(approver).approveRestore({ storeId: STORE, approvalId: approval.approvalId, comment: "checked with finance" })).approval!;
  assert.is(ok.state, ApprovalState.APPROVED);
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  assert.is((await erp.state()).resources["p-crit"], s.sha256);
  assert.is((await failureOf(client(approver).rejectRestore({ storeId: STORE, approvalId: approval.approvalId, comment: "too late" }))).code, Code.FailedPrecondition);

  const audit = rig.secure.client(AuditService, rig.admin);
  const actions = (await audit.listAuditEvents({ storeId: STORE, resourceId: approval.approvalId })).events.map((e) => e.action).sort();
  assert.equal(actions, ["restore_approval.approve", "restore_approval.request"]);
  const jobActions = (await audit.listAuditEvents({ storeId: STORE, resourceId: job.jobId })).events.map((e) => e.action);
  assert.ok(jobActions.includes("restore.approved"), jobActions.join());
});

test("a rejected approval cancels the waiting restore; the critical target never receives ApplyRestore", async () => {
  const s = await rig.snapshot("p-rej", { name: "Drill" });
  const job = (await client(initiator).restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", restoreMode: RestoreMode.APPLY })).job!;
  const approval = (await rig.restore.listApprovals({ storeId: STORE })).approvals.find((a) => a.jobId === job.jobId)!;
  const noComment = await failureOf(client(approver).rejectRestore({ storeId: STORE, approvalId: approval.approvalId }));
  assert.is(noComment.code, Code.InvalidArgument);
  const before = (await erp.state()).apply;
  await client(approver).rejectRestore({ storeId: STORE, approvalId: approval.approvalId, comment: "wrong snapshot" });
  assert.is((await rig.jobs.getJob({ storeId: STORE, jobId: job.jobId })).job!.state, JobState.CANCELLED);
  await sleep(1000);
  assert.is((await erp.state()).apply, before);
  assert.is((await erp.state()).resources["p-rej"], undefined);
});

test("RequestRestoreApproval ahead of time: an approved request lets the restore run at once, and only once", async () => {
  const s = await rig.snapshot("p-pre", { name: "Saw" });
  const approval = (await client(writer).requestRestoreApproval({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", reason: "planned rollback" })).approval!;
  assert.is(approval.state, ApprovalState.PENDING);
  assert.is((await failureOf(client(approver).requestRestoreApproval({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", reason: "" }))).code, Code.InvalidArgument);
  await client(approver).approveRestore({ storeId: STORE, approvalId: approval.approvalId });
  const job = (await client(writer).restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", restoreMode: RestoreMode.APPLY, approvalId: approval.approvalId })).job!;
  assert.is(job.state, JobState.QUEUED);
  assert.is((await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED])).state, JobState.SUCCEEDED);
  const reuse = await failureOf(client(writer).restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", restoreMode: RestoreMode.APPLY, approvalId: approval.approvalId }));
  assert.is(reasonOf(reuse), "APPROVAL_USED");
  const dry = (await client(writer).restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "erp", restoreMode: RestoreMode.DRY_RUN })).job!;
  assert.is(dry.state, JobState.QUEUED, "a dry run needs no approval");
});

test("RollbackResource restores the version before the latest into the resource type's target", async () => {
  const v1 = await rig.snapshot("p-roll", { name: "Hammer", price: 10 });
  const v2 = await rig.snapshot("p-roll", { name: "Hammer", price: 12 });
  const first = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: v2.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY })).job!;
  await rig.waitFor(first.jobId, [JobState.SUCCEEDED]);
  assert.is((await pim.state()).resources["p-roll"], v2.sha256);
  const ambiguous = await failureOf(rig.restore.rollbackResource({ storeId: STORE, resourceType: "product", resourceId: "p-roll" }));
  assert.is(reasonOf(ambiguous), "TARGET_AMBIGUOUS", "two targets restore products: name one");
  const { job, snapshotId } = await rig.restore.rollbackResource({ storeId: STORE, resourceType: "product", resourceId: "p-roll", targetService: "pim", preserveCurrentVersion: true });
  assert.is(snapshotId, v1.snapshotId);
  const done = await rig.waitFor(job!.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  assert.is((await pim.state()).resources["p-roll"], v1.sha256);
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job!.jobId })).restore!;
  const captured = (await rig.snapshots.getSnapshot({ storeId: STORE, snapshotId: r.capturedSnapshotId })).snapshot!;
  assert.is(captured.sha256, v2.sha256, "the rolled-back state was captured first");
  const none = await failureOf(rig.restore.rollbackResource({ storeId: STORE, resourceType: "product", resourceId: "p-none", targetService: "pim" }));
  assert.is(none.code, Code.NotFound);
});

test.run();
