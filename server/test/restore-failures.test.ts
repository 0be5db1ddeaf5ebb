import { timestampDate } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { RestoreMode, RestoreTargetProtocol } from "../../gen/vellum/v1/restore_pb.js";
import { sleep, startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "./support/restore-fixture.js";

/**
 * Restores against targets that misbehave and workers that die: real target processes (SDK
 * helper), real worker processes (short leases: LEASE_MS 1500, backoff 200..400 ms).
 */
const test = suite("restore: failing targets, killed workers, cancellation");

let rig: RestoreRig;
const targets: TargetProcess[] = [];

async function target(name: string, env: Record<string, string>, timeoutMs = 5000, protocol = RestoreTargetProtocol.GRPC): Promise<TargetProcess> {
  const t = await startTarget(env);
  targets.push(t);
  await rig.restore.registerRestoreTarget({
    storeId: STORE,
    targetService: name,
    resourceType: "product",
    endpoint: protocol === RestoreTargetProtocol.GRPC ? t.grpcUrl : t.httpUrl,
    protocol,
    timeoutMs,
  });
  return t;
}

const apply = async (snapshotId: string, targetService: string) =>
  (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId, targetService, restoreMode: RestoreMode.APPLY })).job!;

test.before(async () => {
  rig = await startRestoreRig();
});

test.after(async () => {
  for (const t of targets) await stopProcess(t);
  await rig?.close();
});

test("a worker SIGKILLed mid-apply: another worker completes the restore and the target applies it once", async () => {
  const slow = await target("slow-pim", { APPLY_DELAY_MS: "4000" });
  const first = await rig.startWorker();
  const s = await rig.snapshot("p-kill", { name: "Sofa", price: 999 });
  const job = await apply(s.snapshotId, "slow-pim");
  const until = Date.now() + 20_000;
  while ((await slow.state()).apply < 1 && Date.now() < until) await sleep(50);
  assert.is((await slow.state()).apply, 1, "the first worker reached ApplyRestore");
  first.child.kill("SIGKILL");
  await first.exited;
  await rig.startWorker();
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED], 30_000);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  assert.is(done.attempts, 2, "the second attempt was another worker's");
  const st = await slow.state();
  assert.ok(st.apply >= 2, `ApplyRestore was called again (${st.apply})`);
  assert.is(st.effects, 1, "the target applied the restore once in effect");
  assert.equal([...new Set(st.keys)], [job.jobId], "every attempt carried the same idempotency key");
  assert.is(st.resources["p-kill"], s.sha256);
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  assert.is(r.appliedDigest, s.sha256);
});

test("a target answering UNAVAILABLE is retried with backoff, then the restore fails with a clear error", async () => {
  const down = await target("down-pim", { BEHAVIOR: "unavailable" });
  const s = await rig.snapshot("p-down", { name: "Rug" });
  const t0 = Date.now();
  const job = await apply(s.snapshotId, "down-pim");
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED], 30_000);
  assert.is(done.state, JobState.FAILED);
  assert.is(done.attempts, 5);
  assert.is((await down.state()).apply, 5, "one ApplyRestore per attempt");
  assert.ok(Date.now() - t0 >= 4 * 100, "four backoff waits of at least half the 200 ms base");
  const last = done.errors[done.errors.length - 1];
  assert.is(last.code, "UNAVAILABLE");
  assert.ok(last.message.includes("attempt 5 of 5") && last.message.includes("down-pim") && last.message.includes("maintenance window"), last.message);
});

test("a target that hangs is cut at its timeout on every attempt", async () => {
  const hung = await target("hung-pim", { BEHAVIOR: "hang" }, 300, RestoreTargetProtocol.CONNECT);
  const s = await rig.snapshot("p-hang", { name: "Shelf" });
  const t0 = Date.now();
  const job = await apply(s.snapshotId, "hung-pim");
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED], 30_000);
  const took = Date.now() - t0;
  assert.is(done.state, JobState.FAILED);
  assert.is((await hung.state()).apply, 5);
  assert.ok(took >= 5 * 300, `each of the 5 attempts waited its 300 ms (${took} ms)`);
  assert.ok(took < 15_000, `and no longer (${took} ms)`);
  assert.ok(done.errors.every((e) => e.message.includes("did not answer ApplyRestore within 300 ms")), JSON.stringify(done.errors));
});

test("cancelling a running restore is observed within a second", async () => {
  const slow = await target("slower-pim", { APPLY_DELAY_MS: "30000" });
  const s = await rig.snapshot("p-cancel", { name: "Bed" });
  const job = await apply(s.snapshotId, "slower-pim");
  const until = Date.now() + 20_000;
  while ((await slow.state()).apply < 1 && Date.now() < until) await sleep(50);
  const asked = Date.now();
  await rig.jobs.cancelJob({ storeId: STORE, jobId: job.jobId });
  const done = await rig.waitFor(job.jobId, [JobState.CANCELLED, JobState.FAILED, JobState.SUCCEEDED], 10_000);
  assert.is(done.state, JobState.CANCELLED);
  const ended = timestampDate(done.endTime!).getTime();
  assert.ok(ended - asked < 1000, `the job ended ${ended - asked} ms after the cancellation`);
});

test("preserve_current_version with a capture served by URL: Vellum fetches it through the outbound guard and verifies it", async () => {
  const t = await target("url-pim", { CAPTURE_VIA_URL: "1" });
  const before = new TextEncoder().encode("x".repeat(100_000));
  await t.seed("p-url", before);
  const s = await rig.snapshot("p-url", { name: "Big" });
  const job = (await rig.restore.restoreSnapshot({ storeId: STORE, snapshotId: s.snapshotId, targetService: "url-pim", restoreMode: RestoreMode.APPLY, preserveCurrentVersion: true })).job!;
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED], 20_000);
  assert.is(done.state, JobState.SUCCEEDED, JSON.stringify(done.errors));
  const r = (await rig.restore.getRestore({ storeId: STORE, jobId: job.jobId })).restore!;
  const captured = (await rig.snapshots.getSnapshot({ storeId: STORE, snapshotId: r.capturedSnapshotId })).snapshot!;
  assert.is(Number(captured.size), before.length);
  assert.is((await t.state()).resources["p-url"], s.sha256);
});

test("a refused call (bad credentials) fails the restore at once, without retries", async () => {
  const locked = await target("auth-pim", { AUTH_SECRET: "right" });
  const s = await rig.snapshot("p-auth", { name: "Door" });
  const job = await apply(s.snapshotId, "auth-pim");
  const done = await rig.waitFor(job.jobId, [JobState.SUCCEEDED, JobState.FAILED], 20_000);
  assert.is(done.state, JobState.FAILED);
  assert.is(done.attempts, 1);
  assert.is(done.errors[0].code, "FAILED_PRECONDITION");
  assert.ok(done.errors[0].message.includes("Unauthenticated"), done.errors[0].message);
  assert.is((await locked.state()).effects, 0);
});

test.run();
