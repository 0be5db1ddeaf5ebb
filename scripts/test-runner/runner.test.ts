import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort } from "../../server/test/support/server-process.js";

/**
 * The test runner itself (`npm test`), run as a process on fixture suites: a crashing suite
 * (uncaught exception, unhandled rejection, unhandled 'error' event from a child process that
 * fails to start, process.exit, a hang) is counted as failed and named, the other suites still
 * count, and the closing line is always printed. Filters select files; with no PostgreSQL at
 * DATABASE_URL the run uses an embedded one.
 */
const test = suite("test runner (scripts/test.ts, own processes)");

const REPO = resolve(import.meta.dirname, "../..");
const FIXTURES = "scripts/test-runner/fixtures";
/** Per-file timeout of the nested runs: ends the hanging fixture; the others take a few seconds. */
const HANG_TIMEOUT_MS = 15_000;
/** The database fixture migrates a fresh database on a just-started PostgreSQL: slow on a loaded machine. */
const DB_TIMEOUT_MS = 300_000;

function runRunner(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "scripts", "test.ts"), "--suffix", ".fixture.ts", ...args], {
    cwd: REPO,
    env: { ...process.env, VELLUM_TEST_FILE_TIMEOUT_MS: String(HANG_TIMEOUT_MS), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once("close", (code) => r({ code, out })));
}

const closingLine = (out: string) => out.trimEnd().split("\n").at(-1);

test("crashing suites are failed and named; the others count; the closing line is printed", async () => {
  const { code, out } = await runRunner(["--root", `${FIXTURES}/crash`]);
  assert.is(code, 1, out);
  // pass 2, fail 1+1, and 1 passed + 1 failure for each of uncaught, rejection, spawn-error, exit and hang.
  assert.is(closingLine(out), "8 passed, 6 failed", out);
  const failed = (name: string) => out.split("\n").find((l) => l.startsWith(`FAILED ${FIXTURES}/crash/${name}.fixture.ts: `));
  for (const name of ["uncaught", "rejection", "spawn-error", "exit"]) assert.match(failed(name) ?? "", /crashed: worker exited/, out);
  assert.match(failed("hang") ?? "", /timed out/, out);
  assert.match(failed("fail") ?? "", /1 test\(s\) failed/, out);
  assert.is(failed("pass"), undefined);
  assert.ok(out.includes("uncaught fixture failure"), "the crash's own output is reported");
  assert.ok(out.includes("spawn /nonexistent/vellum-fixture/initdb ENOENT"), "the failed spawn is reported");
});

test("arguments filter files by substring, as npm test -- <substr> does", async () => {
  const { code, out } = await runRunner(["--root", `${FIXTURES}/crash`, "pass"]);
  assert.is(code, 0, out);
  assert.is(closingLine(out), "2 passed, 0 failed", out);
  assert.not.ok(out.includes("uncaught.fixture.ts"));
});

test("with no PostgreSQL at DATABASE_URL the run starts an embedded one and says so in one line", async () => {
  const closed = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
  const { code, out } = await runRunner(["--root", `${FIXTURES}/db`], { DATABASE_URL: closed, VELLUM_TEST_FILE_TIMEOUT_MS: String(DB_TIMEOUT_MS) });
  assert.is(code, 0, out);
  assert.is(closingLine(out), "1 passed, 0 failed", out);
  const notes = out.split("\n").filter((l) => l.includes("embedded PostgreSQL"));
  assert.is(notes.length, 1, out);
  assert.match(notes[0], /^npm test: no PostgreSQL answers at postgres:\/\/127\.0\.0\.1:\d+\/postgres; this run uses an embedded PostgreSQL on 127\.0\.0\.1:\d+, removed at the end$/);
});

test.run();
