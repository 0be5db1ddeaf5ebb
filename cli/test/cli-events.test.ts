/**
 * The built `vellum` binary against the real server and a real webhook receiver process:
 * `webhooks create|ls|update|rotate|deliveries|redeliver|rm` and `events ls|watch`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startReceiver, type Receiver } from "../../server/test/support/receiver-process.js";
import { startSecureServer, type SecureServer } from "../../server/test/support/security-fixtures.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { EXIT } from "../src/exit-codes.js";
import { buildCli, runVellum } from "./support/run-cli.js";

interface Ctx {
  srv: SecureServer;
  rx: Receiver;
  dir: { path: string; remove(): void };
  env: Record<string, string>;
}
const test = suite<Ctx>("vellum CLI: webhooks and events (built binary, real server, receiver process)", {} as Ctx);

test.before(async (ctx) => {
  buildCli();
  ctx.rx = await startReceiver();
  ctx.srv = await startSecureServer({ VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_WEBHOOK_RETRY_BASE_MS: "100" });
  ctx.dir = tempDir("vellum-cli-ev-");
  ctx.env = { VELLUM_SERVER: ctx.srv.server.baseUrl, VELLUM_STORE: "cli-ev", VELLUM_API_KEY: ctx.srv.adminKey, XDG_CONFIG_HOME: join(ctx.dir.path, "config") };
});
test.after(async (ctx) => {
  await ctx.srv?.close();
  await ctx.rx?.stop();
  ctx.dir?.remove();
});

const ok = async (args: string[], env: Record<string, string>) => {
  const r = await runVellum(args, env);
  assert.is(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

async function push(ctx: Ctx, n: number): Promise<string> {
  const file = join(ctx.dir.path, "doc.json");
  writeFileSync(file, JSON.stringify({ n }));
  return JSON.parse(await ok(["push", file, "--resource", "doc/a", "--type", "json", "--json"], ctx.env)).snapshotId;
}

test("webhooks: create prints the secret once, deliveries are listed and redelivered, rotate, update, rm", async (ctx) => {
  const { env, rx } = ctx;
  const made = JSON.parse(await ok(["webhooks", "create", rx.url, "--event", "snapshot.created", "--description", "cli", "--json"], env));
  assert.match(made.secret, /^whsec_/);
  await rx.control({ secrets: [made.secret] });
  const id = made.webhookId as string;
  const listed = await ok(["webhooks", "ls"], env);
  assert.match(listed, id);
  assert.not.match(listed, made.secret.slice(6));
  const bad = await runVellum(["webhooks", "create", "http://10.0.0.1/hook"], env);
  assert.is(bad.code, EXIT.INVALID_ARGUMENT);
  assert.match(bad.stderr, /private/);

  const snap = await push(ctx, 1);
  const [got] = await rx.until((r) => r.length >= 1);
  assert.is(got.verified[0], true);
  assert.is(JSON.parse(got.body).snapshotId, snap);
  const ds = await eventually(async () => JSON.parse(await ok(["webhooks", "deliveries", id, "--json"], env)) as { deliveryId: string; status: string }[], (d) => d[0]?.status === "WEBHOOK_DELIVERY_STATUS_SUCCEEDED");
  assert.match(await ok(["webhooks", "deliveries", id, "--status", "succeeded"], env), /succeeded/);
  await ok(["webhooks", "redeliver", id, ds[0].deliveryId], env);
  await rx.until((r) => r.length >= 2);

  const rotated = JSON.parse(await ok(["webhooks", "rotate", id, "--grace", "60", "--json"], env));
  assert.ok(rotated.secret !== made.secret && rotated.previousSecretExpireTime);
  const off = JSON.parse(await ok(["webhooks", "update", id, "--active", "false", "--json"], env));
  assert.is(off.active, undefined, "false is omitted in proto3 JSON");
  assert.is((await runVellum(["webhooks", "update", id], env)).code, EXIT.USAGE);
  await ok(["webhooks", "rm", id], env);
  assert.is((await runVellum(["webhooks", "deliveries", id], env)).code, EXIT.NOT_FOUND);
});

test("events ls and watch (from the start, NDJSON, stops at --limit)", async (ctx) => {
  const env = { ...ctx.env, VELLUM_STORE: "cli-ev2" };
  const a = await push({ ...ctx, env }, 1);
  const b = await push({ ...ctx, env }, 2);
  const listed = JSON.parse(await ok(["events", "ls", "--json"], env)) as { type: string; snapshotId: string; eventId: string }[];
  assert.equal(listed.map((e) => [e.type, e.snapshotId]), [["snapshot.created", a], ["snapshot.created", b]]);
  const after = await ok(["events", "ls", "--after", listed[0].eventId], env);
  assert.match(after, b);
  assert.not.match(after, a);
  const watched = (await ok(["events", "watch", "--from-start", "--limit", "2", "--json"], env)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(watched.map((e) => e.snapshotId), [a, b]);
  const tail = await ok(["events", "tail", "--after", listed[0].eventId, "--limit", "1"], env);
  assert.match(tail, new RegExp(`snapshot.created .*${b}`));
  assert.is((await runVellum(["events", "ls", "--type", "snapshot.exploded"], env)).code, EXIT.INVALID_ARGUMENT);
});

test.run();
