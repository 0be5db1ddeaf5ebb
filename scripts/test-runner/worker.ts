/**
 * A test worker process (started by pool.ts): runs the uvu suite files the parent sends over IPC,
 * one at a time, and prints `VELLUM_TEST_END_MARKER` on stdout after each, which tells the parent
 * that the file's output is complete. A crash (uncaught exception, unhandled rejection, unhandled
 * 'error' event, process.exit) simply ends this process; the parent reports it.
 *
 * Messages: `{ file, name }` runs a file; `{ exit: true }` ends the process.
 */
import { pathToFileURL } from "node:url";

interface UvuGlobals {
  UVU_DEFER: number;
  UVU_INDEX: number;
  UVU_QUEUE: unknown[][];
}
const g = globalThis as unknown as UvuGlobals;
g.UVU_DEFER = 1; // suites queue on test.run(); exec() below runs them
const uvu = await import("uvu");
const marker = process.env.VELLUM_TEST_END_MARKER;
if (!marker || !process.send) throw new Error("worker.ts is started by scripts/test-runner/pool.ts");

// stderr joins stdout so a file's output keeps its order; the parent reads both.
process.stderr.write = process.stdout.write.bind(process.stdout) as typeof process.stderr.write;

process.on("message", (m: { file?: string; name?: string; exit?: boolean }) => {
  if (m.exit || !m.file) process.exit(0);
  void runFile(m.file, m.name ?? m.file);
});

async function runFile(file: string, name: string): Promise<void> {
  g.UVU_QUEUE.length = 0;
  g.UVU_INDEX = 0;
  g.UVU_QUEUE.push([name]);
  let loadError = false;
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    loadError = true;
    console.error(`${name} failed to load:`, err);
  }
  if (!loadError) await uvu.exec(false);
  process.stdout.write(`\n${marker} ${JSON.stringify({ loadError })}\n`);
}
