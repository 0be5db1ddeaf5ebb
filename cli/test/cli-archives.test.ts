/**
 * The built `vellum` binary against the real server: `export` and `import` through file:// under
 * the export root (plain and encrypted, a wrong key), and `compose` (a golden overlay, MANUAL
 * conflicts listed).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startSecureServer, type SecureServer } from "../../server/test/support/security-fixtures.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { EXIT } from "../src/exit-codes.js";
import { buildCli, runVellum } from "./support/run-cli.js";

interface Ctx {
  srv: SecureServer;
  dir: { path: string; remove(): void };
  root: { path: string; remove(): void };
  env: Record<string, string>;
}
const test = suite<Ctx>("vellum CLI: export, import, compose (built binary, real server)", {} as Ctx);
const STORE = "cli-arch";
const golden = (name: string) => readFileSync(join(import.meta.dirname, "../../server/test/testdata/compose", name), "utf8");

async function push(ctx: Ctx, name: string, body: string | Buffer, type = "json"): Promise<string> {
  const file = join(ctx.dir.path, name);
  writeFileSync(file, body);
  const r = await runVellum(["push", file, "--resource", "settings/main", "--type", type, "--json"], ctx.env);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).snapshotId;
}

test.before(async (ctx) => {
  buildCli();
  ctx.root = tempDir("vellum-cli-export-root-");
  ctx.srv = await startSecureServer({ VELLUM_EXPORT_ROOT: ctx.root.path });
  ctx.dir = tempDir("vellum-cli-arch-");
  ctx.env = { VELLUM_SERVER: ctx.srv.server.baseUrl, VELLUM_STORE: STORE, VELLUM_API_KEY: ctx.srv.adminKey, XDG_CONFIG_HOME: join(ctx.dir.path, "config") };
});
test.after(async (ctx) => {
  await ctx.srv?.close();
  ctx.dir?.remove();
  ctx.root?.remove();
});

test("export with a key file, import with it into another store; a wrong key exits INVALID_ARGUMENT", async (ctx) => {
  const content = randomBytes(300_000);
  const id = await push(ctx, "blob.bin", content, "blob");
  const keyFile = join(ctx.dir.path, "key");
  writeFileSync(keyFile, `${randomBytes(32).toString("hex")}\n`);
  const exp = await runVellum(["export", id, `file://${ctx.root.path}/cli`, "--key-file", keyFile, "--json"], ctx.env);
  assert.is(exp.code, 0, exp.stderr);
  const location = JSON.parse(exp.stdout).result.details.location as string;
  assert.is(location, `file://${ctx.root.path}/cli/${id}.vellum`);

  const other = { ...ctx.env, VELLUM_STORE: "cli-arch-2" };
  const imp = await runVellum(["import", location, "--key-file", keyFile, "--json"], other);
  assert.is(imp.code, 0, imp.stderr);
  const newId = JSON.parse(imp.stdout).result.snapshotId as string;
  const out = join(ctx.dir.path, "pulled.bin");
  const pull = await runVellum(["pull", newId, out], other);
  assert.is(pull.code, 0, pull.stderr);
  assert.ok(readFileSync(out).equals(content));

  writeFileSync(keyFile, randomBytes(32).toString("base64"));
  const wrong = await runVellum(["import", location, "--key-file", keyFile], other);
  assert.is(wrong.code, EXIT.INVALID_ARGUMENT, wrong.stderr);
  assert.match(wrong.stderr, /decryption_key/);
});

test("compose: a golden overlay; MANUAL lists its conflicts and fails", async (ctx) => {
  const ids = [await push(ctx, "a.json", golden("a.json")), await push(ctx, "b.json", golden("b.json")), await push(ctx, "c.json", golden("c.json"))];
  const ok = await runVellum(["compose", ...ids, "--strategy", "overlay", "--prefer", "right", "--json"], ctx.env);
  assert.is(ok.code, 0, ok.stderr);
  const out = join(ctx.dir.path, "composed.json");
  assert.is((await runVellum(["pull", JSON.parse(ok.stdout).result.snapshotId, out], ctx.env)).code, 0);
  assert.is(readFileSync(out, "utf8"), JSON.stringify(JSON.parse(golden("overlay-right.json"))));

  const manual = await runVellum(["compose", ...ids, "--strategy", "overlay", "--prefer", "manual"], ctx.env);
  assert.is(manual.code, EXIT.CONFLICT, manual.stderr);
  assert.match(manual.stdout, /conflict \/theme\/color: /);
  const bad = await runVellum(["compose", ...ids, "--strategy", "merge"], ctx.env);
  assert.is(bad.code, EXIT.USAGE, bad.stderr);
});

test.run();
