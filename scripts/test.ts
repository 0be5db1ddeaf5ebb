/**
 * Test entry point (`npm test`): runs every uvu suite in one process and ends with the line
 * `N passed, N failed` that CI reads.
 *
 * Suites: `*.test.ts` files under server/, sdk/, cli/ and scripts/ (unit tests next to their code,
 * integration tests under server/test/ and sdk/test/). Optional arguments are substrings that a
 * file path must contain, e.g. `npm test -- diff` runs only suites whose path mentions "diff".
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { run } from "uvu/run";

const root = resolve(import.meta.dirname, "..");
const roots = ["server", "sdk", "cli", "scripts"];
const filters = process.argv.slice(2);

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith(".test.ts")) yield path;
  }
}

const files = roots
  .flatMap((r) => [...walk(join(root, r))])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)));

let out = "";
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

try {
  await run(
    files.map((file) => ({ name: relative(root, file), file })),
    { bail: false },
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}

// uvu prints "Total: N" and "Passed: N"; turn them into the line CI reads.
const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
const failed = total - passed + (process.exitCode && total === passed ? 1 : 0);
process.stdout.write = write;
console.log(`\n${passed} passed, ${failed} failed`);
// Integration suites may leave handles (pools, servers) if a test failed mid-way: exit explicitly.
process.exit(failed > 0 || total === 0 ? 1 : 0);
