import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { RestoreMode, RestoreTargetProtocol } from "../../gen/vellum/v1/restore_pb.js";
import { startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "./support/restore-fixture.js";

/**
 * The outbound guard at connect time: a target registered through an API that allowlists
 * 127.0.0.1 is refused by a worker that does not, before any call reaches it.
 */
const test = suite("restore: outbound guard at connect time (real worker and target processes)");

let rig: RestoreRig;
let target: TargetProcess;

test.before(async () => {
  rig = await startRestoreRig();
  target = await startTarget();
  await rig.startWorker({ VELLUM_OUTBOUND_ALLOW_HOSTS: "" });
});

test.after(async () => {
  await stopProcess(target);
  await rig?.close();
});

test("a loopback target the worker's guard refuses fails the restore at once and is never called", async () => {
  await rig.restore.registerRestoreTarget({ storeId: STORE, targetService: "pim", resourceType: "product", endpoint: target.grpcUrl, protocol: RestoreTargetProtocol.GRPC });
  const s = await rig.snapshot("p-ssrf", { name: "Lamp" });
  const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "pim", restoreMode: RestoreMode.APPLY })).job!;
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED]);
  assert.is(done.state, JobState.FAILED);
  assert.is(done.attempts, 1);
  assert.is(done.errors[0].code, "FAILED_PRECONDITION");
  assert.ok(done.errors[0].message.includes("loopback"), done.errors[0].message);
  const st = await target.state();
  assert.is(st.plan + st.apply + st.capture, 0, "no call reached the target");
});

test.run();
