/**
 * The built `vellum` binary: `restore`, `rollback` and `approvals` against the real server, a
 * worker process and a restore target process written with the SDK's createRestoreTarget.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { startRestoreRig, startTarget, stopProcess, STORE, type RestoreRig, type TargetProcess } from "../../server/test/support/restore-fixture.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { buildCli, runVellum } from "./support/run-cli.js";

interface Ctx {
  rig: RestoreRig;
  target: TargetProcess;
  dir: { path: string; remove(): void };
  env: Record<string, string>;
  approverEnv: Record<string, string>;
}
const test = suite<Ctx>("vellum CLI: restore, rollback, approvals (built binary, real processes)", {} as Ctx);

async function push(ctx: Ctx, doc: unknown): Promise<string> {
  const file = join(ctx.dir.path, "doc.json");
  writeFileSync(file, JSON.stringify(doc));
  const r = await runVellum(["push", file, "--resource", "product/lamp", "--type", "json", "--json"], ctx.env);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).snapshotId;
}

test.before(async (ctx) => {
  buildCli();
  ctx.rig = await startRestoreRig();
  ctx.target = await startTarget();
  await ctx.rig.startWorker();
  ctx.dir = tempDir("vellum-cli-restore-");
  const base = { VELLUM_SERVER: ctx.rig.secure.server.baseUrl, VELLUM_STORE: STORE, XDG_CONFIG_HOME: join(ctx.dir.path, "config") };
  ctx.env = { ...base, VELLUM_API_KEY: ctx.rig.secure.adminKey };
  const keys = ctx.rig.secure.client(ApiKeyService, ctx.rig.admin);
  ctx.approverEnv = { ...base, VELLUM_API_KEY: (await keys.createApiKey({ name: "approver", scopes: ["snapshot:admin"], storeIds: [STORE] })).key };
});
test.after(async (ctx) => {
  await stopProcess(ctx.target);
  await ctx.rig?.close();
  ctx.dir?.remove();
});

test("restore register, targets, run (dry run and apply), rollback", async (ctx) => {
  const { env } = ctx;
  const reg = await runVellum(["restore", "register", "pim", "--type", "product", "--endpoint", ctx.target.grpcUrl, "--json"], env);
  assert.is(reg.code, 0, reg.stderr);
  const listed = await runVellum(["restore", "targets"], env);
  assert.ok(listed.stdout.includes("pim") && listed.stdout.includes(ctx.target.grpcUrl), listed.stdout);
  const v1 = await push(ctx, { name: "Lamp", price: 39 });
  const v2 = await push(ctx, { name: "Lamp", price: 49 });
  const dry = await runVellum(["restore", "run", v1, "--target", "pim", "--json"], env);
  assert.is(dry.code, 0, dry.stderr);
  assert.ok(JSON.parse(dry.stdout).plan.summary.startsWith("lamp: new"), dry.stdout);
  const applied = await runVellum(["restore", "run", v2, "--target", "pim", "--mode", "apply"], env);
  assert.is(applied.code, 0, applied.stderr);
  assert.ok(applied.stdout.includes("succeeded"), applied.stdout);
  const rolled = await runVellum(["rollback", "product/lamp", "--preserve", "--json"], env);
  assert.is(rolled.code, 0, rolled.stderr);
  const r = JSON.parse(rolled.stdout);
  assert.is(r.snapshotId, v1);
  assert.ok(r.capturedSnapshotId);
  assert.is((await ctx.target.state()).resources.lamp, r.appliedDigest);
});

test("approvals: a critical restore waits; the initiator cannot approve; another admin can", async (ctx) => {
  const { env } = ctx;
  const reg = await runVellum(["restore", "register", "erp", "--type", "product", "--endpoint", ctx.target.httpUrl, "--protocol", "connect", "--critical"], env);
  assert.is(reg.code, 0, reg.stderr);
  const s = await push(ctx, { name: "Lamp", price: 45 });
  const waiting = await runVellum(["restore", "run", s, "--target", "erp", "--mode", "apply", "--reason", "fix price", "--json"], env);
  assert.is(waiting.code, 0, waiting.stderr);
  const jobId = JSON.parse(waiting.stdout).job.jobId;
  assert.is(JSON.parse(waiting.stdout).job.state, "JOB_STATE_AWAITING_APPROVAL");
  const ls = await runVellum(["approvals", "ls", "--state", "pending", "--json"], env);
  const approval = JSON.parse(ls.stdout).find((a: { jobId: string }) => a.jobId === jobId);
  assert.ok(approval, ls.stdout);
  const self = await runVellum(["approvals", "approve", approval.approvalId], env);
  assert.is.not(self.code, 0);
  assert.ok(self.stderr.toLowerCase().includes("permission"), self.stderr);
  const ok = await runVellum(["approvals", "approve", approval.approvalId, "--comment", "ok"], ctx.approverEnv);
  assert.is(ok.code, 0, ok.stderr);
  const shown = await runVellum(["restore", "show", jobId], env);
  assert.is(shown.code, 0, shown.stderr);
});

test.run();
