import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, spawnLikeStart, startServerProcess } from "./support/server-process.js";
import { tempDir } from "./support/test-server.js";

/**
 * The embedded default run from a clone inside a private (0700) folder, as `mktemp -d` makes it:
 * as root PostgreSQL runs as the `postgres` user, which cannot traverse that folder. The server
 * must still start when its data directory is reachable (it stages the binaries there), must chmod
 * nothing outside the data directory, and must refuse with one clear line when the data directory
 * itself is inside the private folder.
 */
const test = suite("embedded default from a clone in a private 0700 folder (own processes)");

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** What a server process needs from a clone; hard links make the copy cheap and keep it identical. */
const CLONE_ENTRIES = ["package.json", "tsconfig.json", "server", "gen", "sdk", "node_modules"];
const asRoot = process.getuid?.() === 0;

const privateDir = mkdtempSync(join(tmpdir(), "vellum-private-"));
const clone = join(privateDir, "repo");
const data = tempDir("vellum-reachable-data-");

test.before(() => {
  assert.is(statSync(privateDir).mode & 0o777, 0o700);
  mkdirSync(clone);
  for (const entry of CLONE_ENTRIES) execFileSync("cp", ["-al", join(REPO, entry), join(clone, entry)]);
});
test.after(() => {
  rmSync(privateDir, { recursive: true, force: true });
  data.remove();
});

/** Every directory from `path` up to `/`, with its mode. */
const ancestorModes = (path: string) => {
  const modes: Record<string, number> = {};
  for (let d = resolve(path); ; d = dirname(d)) {
    modes[d] = statSync(d).mode;
    if (dirname(d) === d) return modes;
  }
};

test("with a reachable data directory it starts, serves, and changes no mode outside it", async () => {
  const before = { ...ancestorModes(dirname(data.path)), ...ancestorModes(clone) };
  const server = await startServerProcess({ VELLUM_DATA_DIR: data.path, VELLUM_EMBEDDED_PG_PORT: String(await freePort()) }, 120_000, { repo: clone });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/vellum.v1.SnapshotService/CreateSnapshot`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ storeId: "private", resourceType: "product", resourceId: "p1", json: { ok: true } }),
    });
    assert.is(res.status, 200, await res.clone().text());
    assert.is(((await res.json()) as { snapshot: { version: string } }).snapshot.version, "1");
    if (asRoot) assert.ok(existsSync(join(data.path, "pg-bin", "bin", "postgres")), "binaries staged in the data directory");
  } finally {
    server.child.kill("SIGTERM");
    assert.is(await server.exited, 0);
  }
  assert.equal({ ...ancestorModes(dirname(data.path)), ...ancestorModes(clone) }, before);
  assert.is(statSync(privateDir).mode & 0o777, 0o700);
});

test("with the data directory inside the private folder it fails at start with one line saying what to do", async () => {
  const before = ancestorModes(clone);
  const pgPort = String(await freePort());
  if (!asRoot) {
    // Not root: PostgreSQL runs as this user, who can reach the private folder, so it simply starts.
    const server = await startServerProcess({ VELLUM_EMBEDDED_PG_PORT: pgPort }, 120_000, { repo: clone });
    server.child.kill("SIGTERM");
    assert.is(await server.exited, 0);
    return;
  }
  // No VELLUM_DATA_DIR: the default ./data of the clone, under the private folder.
  const env = { PORT: String(await freePort()), VELLUM_EMBEDDED_PG_PORT: pgPort, DATABASE_URL: undefined, VELLUM_DATA_DIR: undefined };
  const child = spawnLikeStart(join(clone, "server", "src", "main.ts"), env, ["ignore", "pipe", "pipe"], clone);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  const lines = stderr.split("\n").filter(Boolean);
  assert.is(code, 1, stderr);
  assert.is(stdout, "");
  assert.is(lines.length, 1, stderr);
  assert.match(lines[0], /^vellum failed to start: as root the embedded PostgreSQL runs as the postgres user, which cannot reach /);
  assert.ok(lines[0].includes(`${privateDir} is not searchable`), lines[0]);
  for (const remedy of ["non-root user", "DATABASE_URL", "VELLUM_DATA_DIR"]) assert.ok(lines[0].includes(remedy), lines[0]);
  assert.not.match(stderr, /Unhandled 'error' event|EACCES|\n\s+at /);
  assert.equal(ancestorModes(clone), before);
});

test.run();
