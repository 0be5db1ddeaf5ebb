/**
 * Load generators that are not JavaScript (so the client does not eat the server's CPU): h2load
 * (HTTP/2, gRPC framing), wrk (HTTP/1.1 with a Lua script, for bodies that vary per request) and
 * pgbench (raw SQL baseline). Each is installed with apt-get when missing (the bench says so).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PACKAGES: Record<string, string> = { h2load: "nghttp2-client", wrk: "wrk", pgbench: "postgresql-contrib", restic: "restic" };

/** Makes sure `tool` is on PATH, installing its Debian package with apt-get when it is not. */
export function ensureTool(tool: keyof typeof PACKAGES): void {
  if (spawnSync("which", [tool]).status === 0) return;
  console.log(`${tool} is missing: apt-get install -y ${PACKAGES[tool]}`);
  const r = spawnSync("apt-get", ["install", "-y", PACKAGES[tool]], { stdio: "inherit" });
  if (r.status !== 0 || spawnSync("which", [tool]).status !== 0) {
    throw new Error(`${tool} is needed: run "apt-get install -y ${PACKAGES[tool]}" as root`);
  }
}

export interface LoadResult {
  rps: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;

/** One gRPC message with its 5-byte length prefix, as h2load sends it. */
export function grpcFrame(message: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + message.length);
  b.writeUInt32BE(message.length, 1);
  b.set(message, 5);
  return b;
}

/**
 * h2load posting `body` (a framed gRPC request) to `url` for `seconds`: `connections` × `streams`
 * requests in flight. Latencies come from its per-request log.
 */
export function h2load(url: string, body: Uint8Array, o: { dir: string; seconds: number; connections: number; streams: number; headers?: string[] }): LoadResult {
  const data = join(o.dir, "h2load-body.bin");
  const log = join(o.dir, "h2load.log");
  writeFileSync(data, body);
  writeFileSync(log, "");
  const headers = ["content-type: application/grpc", "te: trailers", ...(o.headers ?? [])].flatMap((h) => ["-H", h]);
  const out = execFileSync("h2load", ["-D", String(o.seconds), "-c", String(o.connections), "-m", String(o.streams), "-d", data, `--log-file=${log}`, ...headers, url], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN);
  const rows = readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("\t").map(Number));
  const ok = rows.filter((r) => r[1] === 200).length;
  const lat = rows.map((r) => r[2] / 1000).sort((a, b) => a - b);
  return { rps, ok, failed: rows.length - ok, p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) };
}

/** wrk running `script` (Lua) against `url` over HTTP/1.1 for `seconds` with `connections` connections. */
export function wrk(url: string, script: string, o: { dir: string; seconds: number; connections: number }): LoadResult {
  const file = join(o.dir, "wrk.lua");
  writeFileSync(file, script);
  const out = execFileSync("wrk", ["-t", "2", "-c", String(o.connections), "-d", `${o.seconds}s`, "--latency", "-s", file, url], { encoding: "utf8" });
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    ok: total - non2xx,
    failed: non2xx,
    p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
  };
}

/** pgbench running `script` on `url` for `seconds` with `clients` clients, prepared statements. */
export function pgbench(url: string, script: string, o: { dir: string; seconds: number; clients: number }): LoadResult {
  const file = join(o.dir, "pgbench.sql");
  writeFileSync(file, script);
  const out = execFileSync("pgbench", ["-n", "-M", "prepared", "-c", String(o.clients), "-j", "2", "-T", String(o.seconds), "-f", file, url], {
    encoding: "utf8",
  });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const ok = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps: tps, ok, failed, p50Ms: latency, p99Ms: NaN };
}
