/**
 * The built `vellum` binary against the real server: `retention` (rules, preview with reasons,
 * run), `usage`, `undelete`, `hold`/`release`, and `policies` capturing through a capture-target
 * process (server/test/support/capture-target.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startCaptureTarget, type CaptureTarget } from "../../server/test/support/capture-target-process.js";
import { startSecureServer, type SecureServer } from "../../server/test/support/security-fixtures.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { EXIT } from "../src/exit-codes.js";
import { buildCli, runVellum } from "./support/run-cli.js";

interface Ctx {
  srv: SecureServer;
  target: CaptureTarget;
  dir: { path: string; remove(): void };
  env: Record<string, string>;
}
const test = suite<Ctx>("vellum CLI: retention, usage, undelete, hold, policies (built binary, real server)", {} as Ctx);
const STORE = "cli-ret";
const DAY_MS = 86_400_000;

const vellum = async (ctx: Ctx, args: string[], code = 0) => {
  const r = await runVellum(args, ctx.env);
  assert.is(r.code, code, `vellum ${args.join(" ")}: ${r.stderr}`);
  return r;
};

test.before(async (ctx) => {
  buildCli();
  ctx.target = await startCaptureTarget();
  ctx.srv = await startSecureServer({ VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  ctx.dir = tempDir("vellum-cli-ret-");
  ctx.env = { VELLUM_SERVER: ctx.srv.server.baseUrl, VELLUM_STORE: STORE, VELLUM_API_KEY: ctx.srv.adminKey, XDG_CONFIG_HOME: join(ctx.dir.path, "config") };
});
test.after(async (ctx) => {
  await ctx.srv?.close();
  await ctx.target?.stop();
  ctx.dir?.remove();
});

test("retention preview prints every decision with its reasons; run deletes them; undelete, hold and usage", async (ctx) => {
  const ids: string[] = [];
  for (const daysAgo of [40, 20, 0]) {
    const file = join(ctx.dir.path, "doc.json");
    writeFileSync(file, JSON.stringify({ daysAgo }));
    const id = JSON.parse((await vellum(ctx, ["push", file, "--resource", "doc/d", "--type", "json", "--json"])).stdout).snapshotId as string;
    await ctx.srv.server.services.database.db.execute(sql`update snapshots set create_time = ${new Date(Date.now() - daysAgo * DAY_MS).toISOString()}::timestamptz where id = ${id}`);
    ids.push(id);
  }
  await vellum(ctx, ["retention", "add", "short", "--resource-type", "doc", "--keep-within-days", "30"]);
  const rules = JSON.parse((await vellum(ctx, ["retention", "rules", "--json"])).stdout);
  assert.equal(rules.map((r: { name: string }) => r.name), ["short"]);

  const preview = (await vellum(ctx, ["retention", "preview"])).stdout;
  const line = (id: string) => preview.split("\n").find((l) => l.includes(id)) ?? "";
  // A table row per reason: decision, snapshot, resource, reason.
  assert.match(line(ids[0]), /delete[\s│]+\S+[\s│]+doc\/d v1[\s│]+kept by no keep clause of rule short/);
  assert.match(line(ids[1]), /keep[\s│]+\S+[\s│]+doc\/d v2[\s│]+created within 30 days of the newest snapshot under rule short/);
  assert.match(line(ids[2]), /keep[\s│]+\S+[\s│]+doc\/d v3/);
  assert.match(preview, /latest version \(3\) of doc\/d/);
  assert.match(preview, /3 considered, 2 kept, 1 to delete/);

  await vellum(ctx, ["retention", "run"]);
  const gone = JSON.parse((await vellum(ctx, ["show", ids[0], "--json"])).stdout);
  assert.is(gone.state, "SNAPSHOT_STATE_DELETED");
  assert.match((await vellum(ctx, ["undelete", ids[0]])).stdout, new RegExp(`undeleted ${ids[0]}`));

  await vellum(ctx, ["hold", ids[0], "--reason", "litigation 42"]);
  const refused = await runVellum(["rm", ids[0]], ctx.env);
  assert.is(refused.code, EXIT.CONFLICT, refused.stderr);
  assert.match(refused.stderr, /legal hold/);
  await vellum(ctx, ["release", ids[0]]);

  await vellum(ctx, ["tier", ids[1], "archive"]);
  const archived = await runVellum(["pull", ids[1], join(ctx.dir.path, "out.json")], ctx.env);
  assert.is(archived.code, EXIT.CONFLICT, archived.stderr);
  assert.match(archived.stderr, /RehydrateSnapshot/);
  await vellum(ctx, ["rehydrate", ids[1]]);
  assert.equal(JSON.parse((await vellum(ctx, ["pull", ids[1]])).stdout), { daysAgo: 20 });

  const usage = (await vellum(ctx, ["usage"])).stdout;
  assert.match(usage, /total[\s│]+3\b/);
  assert.match(usage, /resource:doc[\s│]+3\b/);
});

test("policies add, run (captures through the target process), runs, ls, notify", async (ctx) => {
  await ctx.target.set("sku-1", '{"price":10}');
  const added = JSON.parse((await vellum(ctx, ["policies", "add", "pull", "--resource-type", "product", "--trigger", "manual", "--target", ctx.target.baseUrl, "--resource", "sku-1", "--tag", "auto", "--json"])).stdout);
  const run = JSON.parse((await vellum(ctx, ["policies", "run", added.policyId, "--json"])).stdout);
  assert.is(run.state, "POLICY_RUN_STATE_SUCCEEDED");
  assert.is(run.snapshotIds.length, 1);
  const again = (await vellum(ctx, ["policies", "run", added.policyId])).stdout;
  assert.match(again, /unchanged[\s│]+sku-1/);
  const failed = await runVellum(["policies", "run", added.policyId, "--resource", "missing"], ctx.env);
  assert.is(failed.code, EXIT.NOT_FOUND, failed.stderr);
  assert.match((await vellum(ctx, ["policies", "runs", added.policyId])).stdout.split("\n").filter((l) => /succeeded|failed/.test(l)).join("\n"), /failed[\s\S]*succeeded[\s\S]*succeeded/);
  await vellum(ctx, ["policies", "add", "nightly", "--resource-type", "product", "--trigger", "cron", "--cron", "0 3 * * *", "--time-zone", "Europe/Berlin", "--target", ctx.target.baseUrl, "--resource", "sku-1"]);
  const ls = (await vellum(ctx, ["policies", "ls"])).stdout;
  assert.match(ls, /nightly[\s│]+product[\s│]+cron[\s│]+0 3 \* \* \* \(Europe\/Berlin\)[\s│]+yes[\s│]+\d{4}-/);
  assert.match((await vellum(ctx, ["policies", "notify", "product/sku-1"])).stdout, /no policy captures/);
  const bad = await runVellum(["policies", "add", "x", "--resource-type", "product", "--trigger", "cron", "--cron", "nope"], ctx.env);
  assert.is(bad.code, EXIT.INVALID_ARGUMENT, bad.stderr);
});

test.run();
