/**
 * The server as `npm start` runs it (compiled into dist/, the same Node flags and allocator
 * settings), as its own process; resolves once it answers ListSnapshots on `probeStore`. `cpu()`
 * reads the CPU seconds it has used. `bearer` authenticates the returned client.
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
  return { base, client, cpu, stop: async () => (child.kill("SIGTERM"), await exited) };
}

