/**
 * Test entry point (`npm test`): runs every uvu suite file in worker processes, two at a time, and
 * ends with the line `N passed, N failed` that CI reads, even when a suite crashes; each file that
 * failed as a whole is named above that line with the reason (see test-runner/pool.ts).
 *
 * Suites: `*.test.ts` files under server/, sdk/, cli/ and scripts/ (unit tests next to their code,
 * integration tests under server/test/ and sdk/test/). Optional arguments are substrings that a
 * file path must contain, e.g. `npm test -- diff` runs only suites whose path mentions "diff".
 *
 * Options: `--root DIR` (repeatable) and `--suffix .fixture.ts` choose other files (the runner's own
 * test uses them); `--jobs N` (default 2, or VELLUM_TEST_JOBS) sets the parallelism.
 * The database: see test-runner/database.ts (DATABASE_URL, 127.0.0.1:5432, else an embedded one).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureTestDatabase } from "./test-runner/database.js";
import { runSuites, type Suite } from "./test-runner/pool.js";
import { summary } from "./test-runner/report.js";

const repo = resolve(import.meta.dirname, "..");
const { values, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: "string", multiple: true },
    suffix: { type: "string", default: ".test.ts" },
    jobs: { type: "string", default: process.env.VELLUM_TEST_JOBS ?? "2" },
  },
});
/** A file still running after this long fails (a hung suite must not hang the run). */
const FILE_TIMEOUT_MS = Number(process.env.VELLUM_TEST_FILE_TIMEOUT_MS) || 15 * 60_000;
/** Durations of the previous run: the longest files start first. */
const DURATIONS = join(repo, ".tmp", "test-durations.json");
/** Estimates for files never timed: integration suites are the long ones. */
const isIntegration = (name: string) => /(^|\/)test\//.test(name);

function* walk(dir: string, suffix: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path, suffix);
    else if (name.endsWith(suffix)) yield path;
  }
}

const roots = (values.root ?? ["server", "sdk", "cli", "scripts"]).map((r) => resolve(repo, r));
const suites: Suite[] = roots
  .flatMap((r) => [...walk(r, values.suffix)])
  .map((file) => ({ name: relative(repo, file), file }))
  .filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));

let known: Record<string, number> = {};
try {
  known = JSON.parse(readFileSync(DURATIONS, "utf8")) as Record<string, number>;
} catch {
  // First run: estimates only.
}
const estimate = (name: string) => known[name] ?? (isIntegration(name) ? 30_000 : 1000);
suites.sort((a, b) => estimate(b.name) - estimate(a.name));

/** uvu's per-file Total/Passed/Skipped/Duration lines (the run ends with one summary instead). */
const withoutUvuTotals = (block: string) =>
  block
    .split("\n")
    .filter((l) => !/^\s*(Total|Passed|Skipped|Duration):/.test(l.replace(/\x1b\[[0-9;]*m/g, "")))
    .join("\n");

const started = Date.now();
const db = await ensureTestDatabase((line) => console.log(line));
process.env.DATABASE_URL = db.url;
let results;
try {
  results = await runSuites(suites, {
    jobs: Number(values.jobs),
    timeoutMs: FILE_TIMEOUT_MS,
    isolate: isIntegration,
    print: (block) => process.stdout.write(`${withoutUvuTotals(block).trimEnd()}\n\n`),
    cwd: repo,
  });
} finally {
  await db.stop();
}

if (!values.root) {
  mkdirSync(join(repo, ".tmp"), { recursive: true });
  writeFileSync(DURATIONS, JSON.stringify({ ...known, ...Object.fromEntries(results.map((r) => [r.name, r.ms])) }, null, 1));
}
const { lines, passed, failed } = summary(results);
console.log(`${suites.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(lines.join("\n"));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
