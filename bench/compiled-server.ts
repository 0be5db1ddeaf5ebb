/**
 * The server as `npm start` runs it (compiled into dist/, the same Node flags and allocator
 * settings), as its own process; resolves once it answers ListSnapshots on `probeStore`. `cpu()`
 * reads the CPU seconds it has used, `statusCodes` the gRPC status codes it has answered (from its
 * /metrics). `bearer` authenticates the returned client.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { freePort } from "../server/test/support/server-process.js";

export async function startCompiledServer(env: Record<string, string>, probeStore: string, bearer?: string) {
  execFileSync(process.execPath, ["scripts/build-server.mjs"], { stdio: "inherit" });
  const port = await freePort();
  const child = spawn(process.execPath, ["--max-semi-space-size=4", "--heap-growing-percent=150", "--expose-gc", "dist/server/src/main.js"], {
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "262144", MALLOC_ARENA_MAX: "2", VELLUM_LOG_LEVEL: "warn", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const base = `http://127.0.0.1:${port}`;
  const auth = bearer ? { authorization: `Bearer ${bearer}` } : undefined;
  const transport = createGrpcTransport({ baseUrl: base, interceptors: auth ? [(next) => (req) => (req.header.set("authorization", auth.authorization), next(req))] : [] });
  const client = createClient(SnapshotService, transport);
  for (let i = 0; ; i++) {
    try {
      await client.listSnapshots({ storeId: probeStore, pageSize: 1 });
      break;
    } catch (err) {
      if (i > 300) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** CPU seconds (user + system) the server process has used so far. */
  const cpu = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  /** The server's count of completed `method` calls by status code (`ok`, or the code as Connect spells it), from /metrics. */
  const statusCodes = async (method: string): Promise<Map<string, number>> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const codes = new Map<string, number>();
    const line = new RegExp(`^vellum_rpc_handled_total\\{[^}]*method="${method}"[^}]*code="([a-z_]+)"[^}]*\\} (\\d+)$`, "gm");
    for (const m of text.matchAll(line)) codes.set(m[1], (codes.get(m[1]) ?? 0) + Number(m[2]));
    return codes;
  };
  return { base, client, cpu, statusCodes, stop: async () => (child.kill("SIGTERM"), await exited) };
}

