/**
 * The built `vellum` binary, run as its own process against the real server (HTTP/2 listener,
 * fresh database, VELLUM_AUTH=required): transfers verified by SHA-256, --json output, exit codes
 * per status class, one-line errors, and configuration from flags, environment and `vellum login`.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startSecureServer, type SecureServer } from "../../server/test/support/security-fixtures.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { EXIT } from "../src/exit-codes.js";
import { TUNED_FLAG } from "../src/runtime.js";
import { buildCli, runVellum, runVellumRaw, VELLUM_BIN } from "./support/run-cli.js";

interface Ctx {
  srv: SecureServer;
  dir: { path: string; remove(): void };
  /** Environment of a configured CLI: server, store and the admin key. */
  env: Record<string, string>;
  bigId: string;
}

const test = suite<Ctx>("vellum CLI (built binary, real server)", {} as Ctx);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MISSING = "01900000-0000-7000-8000-000000000000";

test.before(async (ctx) => {
  buildCli();
  ctx.srv = await startSecureServer();
  ctx.dir = tempDir("vellum-cli-");
  ctx.env = {
    VELLUM_SERVER: ctx.srv.server.baseUrl,
    VELLUM_STORE: "cli",
    VELLUM_API_KEY: ctx.srv.adminKey,
    XDG_CONFIG_HOME: join(ctx.dir.path, "config"),
  };
});

test.after(async (ctx) => {
  await ctx.srv?.close();
  ctx.dir?.remove();
});

test("push of a 50 MB file and pull give back the same SHA-256; ls --json parses and names the snapshot", async (ctx) => {
  const data = randomBytes(50 * 1024 * 1024);
  const file = join(ctx.dir.path, "dump.bin");
  writeFileSync(file, data);
  const pushed = await runVellum(["push", file, "--resource", "db/orders", "--type", "db", "--tag", "nightly", "--label", "env=prod", "--message", "first", "--json"], ctx.env);
  assert.is(pushed.code, 0, pushed.stderr);
  assert.is(pushed.stderr, "", "no progress bar without a terminal");
  const snapshot = JSON.parse(pushed.stdout);
  assert.is(snapshot.sha256, sha256(data));
  assert.is(snapshot.size, String(data.length));
  assert.equal(snapshot.tags, ["nightly"]);
  assert.equal(snapshot.labels, { env: "prod" });
  ctx.bigId = snapshot.snapshotId;

  const target = join(ctx.dir.path, "pulled.bin");
  const pulled = await runVellum(["pull", "db/orders", target], ctx.env);
  assert.is(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`^pulled ${ctx.bigId} to `));
  assert.is(statSync(target).size, data.length);
  assert.is(sha256(readFileSync(target)), sha256(data));

  const ls = await runVellum(["ls", "--json", "--resource", "db/orders"], ctx.env);
  assert.is(ls.code, 0, ls.stderr);
  const listed = JSON.parse(ls.stdout) as { snapshotId: string; resourceId: string }[];
  assert.equal(listed.map((s) => s.snapshotId), [ctx.bigId]);
  assert.is(listed[0].resourceId, "orders");
});

test("standard input to push, pull to standard output, show and log by resource version", async (ctx) => {
  const data = randomBytes(1_500_000);
  const pushed = await runVellum(["push", "-", "--resource", "db/orders", "--message", "second"], ctx.env, data);
  assert.is(pushed.code, 0, pushed.stderr);
  const out = await runVellumRaw(["pull", "db/orders@2"], ctx.env);
  assert.is(out.code, 0, out.stderr);
  assert.ok(out.stdout.equals(data), "stdout carries exactly the content");
  const log = await runVellum(["log", "db/orders", "--json"], ctx.env);
  assert.equal((JSON.parse(log.stdout) as { version: string; message: string }[]).map((v) => [v.version, v.message]), [["1", "first"], ["2", "second"]]);
  const show = await runVellum(["show", "db/orders@1"], ctx.env);
  assert.is(show.code, 0, show.stderr);
  assert.match(show.stdout, ctx.bigId);
  assert.not.match(show.stdout, /\x1b\[/, "no colour off a terminal");
});

test("a missing snapshot exits 3 with one line naming NOT_FOUND", async (ctx) => {
  const r = await runVellum(["show", MISSING], ctx.env);
  assert.is(r.code, EXIT.NOT_FOUND);
  assert.is(r.stdout, "");
  assert.is(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^vellum: NOT_FOUND: .*\(request id [0-9a-f-]{36}\)\n$/);
});

test("a wrong API key exits 4 with one line on stderr and no stack", async (ctx) => {
  const r = await runVellum(["ls"], { ...ctx.env, VELLUM_API_KEY: "vk_00000000000000000000_wrongsecret" });
  assert.is(r.code, EXIT.PERMISSION);
  assert.is(r.stdout, "");
  assert.is(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^vellum: UNAUTHENTICATED: /);
  const debug = await runVellum(["ls", "--debug"], { ...ctx.env, VELLUM_API_KEY: "vk_00000000000000000000_wrongsecret" });
  assert.is(debug.code, EXIT.PERMISSION);
  assert.match(debug.stderr, /\n\s+at /, "--debug adds the stack");
});

test("invalid arguments exit 5 with the field violations on the one line; usage errors exit 2", async (ctx) => {
  const bad = await runVellum(["ls", "--store", "bad store!"], ctx.env);
  assert.is(bad.code, EXIT.INVALID_ARGUMENT);
  assert.match(bad.stderr, /^vellum: INVALID_ARGUMENT: .*\[store_id: [^\]]+\]/);
  assert.is(bad.stderr.trimEnd().split("\n").length, 1);
  for (const args of [["push"], ["ls", "--bogus"], ["nonsense"], ["share", MISSING, "--expires", "soon"]]) {
    const r = await runVellum(args, ctx.env);
    assert.is(r.code, EXIT.USAGE, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^vellum: /);
  }
});

test("conflicts exit 6: a pinned snapshot cannot be removed until unpinned", async (ctx) => {
  assert.is((await runVellum(["pin", ctx.bigId], ctx.env)).code, 0);
  const rm = await runVellum(["rm", ctx.bigId], ctx.env);
  assert.is(rm.code, EXIT.CONFLICT);
  assert.match(rm.stderr, /^vellum: FAILED_PRECONDITION: /);
  assert.is((await runVellum(["unpin", ctx.bigId], ctx.env)).code, 0);
  const tagged = await runVellum(["tag", "add", ctx.bigId, "keep", "--json"], ctx.env);
  assert.equal(JSON.parse(tagged.stdout).tags, ["nightly", "keep"]);
});

test("diff of two JSON versions, verify waits for its job, keys create gives a key the server accepts", async (ctx) => {
  const a = join(ctx.dir.path, "a.json");
  writeFileSync(a, JSON.stringify({ name: "Chair", price: 49 }));
  assert.is((await runVellum(["push", a, "--resource", "product/p1", "--type", "json"], ctx.env)).code, 0);
  writeFileSync(a, JSON.stringify({ name: "Chair", price: 59 }));
  assert.is((await runVellum(["push", a, "--resource", "product/p1", "--type", "json"], ctx.env)).code, 0);
  const diff = await runVellum(["diff", "product/p1@1", "product/p1@2", "--format", "json", "--json"], ctx.env);
  assert.is(diff.code, 0, diff.stderr);
  assert.equal(JSON.parse(diff.stdout).result.json.patch, [{ op: "replace", path: "/price", value: 59 }]);

  const verify = await runVellum(["verify", "product/p1", "--json"], ctx.env);
  assert.is(verify.code, 0, verify.stderr);
  assert.is(JSON.parse(verify.stdout).state, "JOB_STATE_SUCCEEDED");

  const created = await runVellum(["keys", "create", "--name", "reader", "--scope", "snapshot:read", "--json"], ctx.env);
  assert.is(created.code, 0, created.stderr);
  const { key, apiKey } = JSON.parse(created.stdout);
  assert.equal(apiKey.storeIds, ["cli"]);
  const reader = { ...ctx.env, VELLUM_API_KEY: key };
  assert.is((await runVellum(["ls"], reader)).code, 0);
  const denied = await runVellum(["rm", ctx.bigId], reader);
  assert.is(denied.code, EXIT.PERMISSION);
  assert.match(denied.stderr, /^vellum: PERMISSION_DENIED: /);
});

test("login writes the config file 0600; flags beat the environment, which beats the file", async (ctx) => {
  const configHome = join(ctx.dir.path, "login-config");
  const bare = { XDG_CONFIG_HOME: configHome };
  const login = await runVellum(["login", "--server", ctx.srv.server.baseUrl, "--store", "cli", "--api-key-stdin"], bare, `${ctx.srv.adminKey}\n`);
  assert.is(login.code, 0, login.stderr);
  const path = join(configHome, "vellum", "config.json");
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(path, "utf8")), { server: ctx.srv.server.baseUrl, store: "cli", apiKey: ctx.srv.adminKey });
  assert.is((await runVellum(["show", ctx.bigId], bare)).code, 0, "the file alone configures the CLI");
  const envStore = await runVellum(["show", ctx.bigId], { ...bare, VELLUM_STORE: "other" });
  assert.is(envStore.code, EXIT.NOT_FOUND, "the environment's store wins over the file's");
  assert.is((await runVellum(["show", ctx.bigId, "--store", "cli"], { ...bare, VELLUM_STORE: "other" })).code, 0, "the flag wins over the environment");
  const refused = await runVellum(["login", "--api-key", "vk_00000000000000000000_wrongsecret"], bare);
  assert.is(refused.code, EXIT.PERMISSION);
  assert.is(JSON.parse(readFileSync(path, "utf8")).apiKey, ctx.srv.adminKey, "a refused login saves nothing");
});

test("the command restarts itself in place under its memory settings: same pid, standard input intact, the caller's setting kept", async (ctx) => {
  const child = spawn(VELLUM_BIN, ["push", "-", "--resource", "db/tuned", "--json"], {
    env: { PATH: `${join(process.execPath, "..")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/root", ...ctx.env, MALLOC_ARENA_MAX: "4" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  // Standard input stays open and unread until the restarted process reads it.
  let cmdline = "";
  for (let i = 0; i < 800 && !cmdline.includes(TUNED_FLAG); i++) {
    await sleep(25);
    cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
  }
  assert.ok(cmdline.split("\0").includes(TUNED_FLAG), cmdline);
  const environ = readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0");
  assert.ok(environ.includes("MALLOC_ARENA_MAX=4"), "the caller's value is kept");
  assert.ok(environ.includes("MALLOC_MMAP_THRESHOLD_=262144"));
  const data = randomBytes(3 * 1024 * 1024);
  child.stdin.end(data);
  assert.is(await closed, 0, Buffer.concat(err).toString());
  assert.is(JSON.parse(Buffer.concat(out).toString()).sha256, sha256(data));
});

test.run();
