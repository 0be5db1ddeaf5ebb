/**
 * Concurrent uploads through the real server process: aggregate throughput and the server's peak
 * RSS while 1, 4 and 20 clients (each on its own HTTP/2 connection) upload 100 MiB of
 * incompressible data at once, each into its own store (no dedup between them). The process-wide
 * buffer budget (VELLUM_BUFFER_BUDGET_MB) is what bounds the RSS as the count grows.
 */
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { createBulkGrpcTransport } from "../sdk/src/node/bulk-transport.js";
import { startServerProcess } from "../server/test/support/server-process.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { tempDir } from "../server/test/support/test-server.js";
import { createNoise } from "./data.js";
import { type BenchModule, type Report, mbps } from "./report.js";

const MiB = 1024 * 1024;
const EACH = Number(process.env.BENCH_CONCURRENT_BYTES) || 100 * MiB;
const COUNTS = (process.env.BENCH_CONCURRENCY || "1,4,20").split(",").map(Number);
const PIECE = MiB;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

async function* noise(total: number, seed: number) {
  const fill = createNoise(seed);
  const buf = new Uint8Array(PIECE);
  for (let sent = 0; sent < total; sent += PIECE) {
    // A fresh buffer per message: the transport may still hold the previous one.
    yield fill(buf).slice(0, Math.min(PIECE, total - sent));
  }
}

export const bench: BenchModule = {
  title: `Concurrent ${EACH / MiB} MiB incompressible uploads (one HTTP/2 connection each) through the real server`,
  async run(report: Report) {
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-conc-");
    const server = await startServerProcess({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_LOG_LEVEL: "info" });
    const pid = server.child.pid!;
    try {
      for (const n of COUNTS) {
        const clients = Array.from({ length: n }, () =>
          createClient(SnapshotService, createBulkGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}`, writeMaxBytes: 64 * MiB })),
        );
        const before = rssMiB(pid);
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
        const t0 = performance.now();
        await Promise.all(
          clients.map((c, i) =>
            c.uploadSnapshot(
              (async function* () {
                yield { msg: { case: "header" as const, value: { storeId: `conc-${n}-${i}`, resourceType: "bench", snapshotType: SnapshotType.DB } } };
                for await (const p of noise(EACH, 1000 * n + i + 1)) yield { msg: { case: "chunk" as const, value: p } };
              })(),
            ),
          ),
        );
        const ms = performance.now() - t0;
        clearInterval(sampler);
        peak = Math.max(peak, rssMiB(pid));
        report({ name: `${n} concurrent upload(s): aggregate throughput`, value: mbps(n * EACH, ms), unit: "MB/s" });
        report({ name: `  ${n} concurrent upload(s): server peak RSS`, value: peak, unit: "MiB", baseline: { name: "RSS before", value: before }, target: "< 300 MiB" });
      }
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await db.drop();
      dir.remove();
    }
  },
};
