import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, spawnLikeStart } from "./support/server-process.js";

/**
 * The server's policy for unobserved failures (lib/unhandled-rejections.ts), in real processes: a
 * database operation that could not reach PostgreSQL is logged and survived; any other unobserved
 * failure is logged and ends the process with exit code 1.
 */
const test = suite("unhandled rejections (own processes)");
const SCRIPT = new URL("./support/unobserved-rejection-process.ts", import.meta.url).pathname;

interface LogEntry {
  level: string;
  msg: string;
  err?: { message: string };
}

/** Runs the process; its exit code, its output lines, and the JSON log entries among them. */
async function run(kind: "database" | "other"): Promise<{ code: number | null; lines: string[]; logged: LogEntry[] }> {
  const child = spawnLikeStart(SCRIPT, { UNOBSERVED_KIND: kind, UNOBSERVED_PORT: String(await freePort()) }, ["ignore", "pipe", "pipe"]);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  const lines = out.split("\n").filter(Boolean);
  return { code, lines, logged: lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LogEntry) };
}

test("a transaction that could not reach PostgreSQL, failing unobserved, is logged and the process goes on", async () => {
  const { code, lines, logged } = await run("database");
  assert.is(code, 0, lines.join("\n"));
  assert.ok(lines.includes("still running"), lines.join("\n"));
  const entry = logged.find((l) => l.msg.includes("could not reach PostgreSQL"));
  assert.ok(entry, lines.join("\n"));
  assert.is(entry.level, "error");
  assert.match(entry.err!.message, /ECONNREFUSED/);
});

test("any other unobserved failure is logged and ends the process with exit code 1", async () => {
  const { code, lines, logged } = await run("other");
  assert.is(code, 1, lines.join("\n"));
  assert.not.ok(lines.includes("still running"));
  const entry = logged.find((l) => l.msg.includes("unhandled promise rejection"));
  assert.ok(entry, lines.join("\n"));
  assert.is(entry.err!.message, "an unobserved failure that is not the database's");
});

test.run();
