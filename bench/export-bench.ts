/**
 * Export and import through the real server process: the server's peak RSS while it exports a
 * multi-GiB snapshot as an encrypted archive to file:// and imports it back (both streamed), with
 * the throughput of each job. BENCH_EXPORT_BYTES sets the size (default 2 GiB).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { JobState } from "../gen/vellum/v1/job_pb.js";
import { JobService } from "../gen/vellum/v1/job_service_pb.js";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { TransferService } from "../gen/vellum/v1/transfer_service_pb.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { startServerProcess } from "../server/test/support/server-process.js";
import { tempDir } from "../server/test/support/test-server.js";
import { createNoise } from "./data.js";
import { type BenchModule, type Report, mbps } from "./report.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_EXPORT_BYTES) || 2 * 1024 * MiB;

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

function samplePeak(pid: number): () => number {
  let peak = rssMiB(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  return () => (clearInterval(t), Math.max(peak, rssMiB(pid)));
}

export const bench: BenchModule = {
  title: "Export and import (encrypted archive, file://) through the real server",
  async run(report: Report) {
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-export-");
    const root = tempDir("vellum-bench-export-root-");
    const server = await startServerProcess({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_EXPORT_ROOT: root.path, VELLUM_LOG_LEVEL: "info" });
    try {
      const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
      const snapshots = createClient(SnapshotService, transport);
      const jobs = createClient(JobService, transport);
      const transfer = createClient(TransferService, transport);
      const noise = createNoise(11);
      const piece = new Uint8Array(MiB);
      const up = await snapshots.uploadSnapshot(
        (async function* () {
          yield { msg: { case: "header" as const, value: { storeId: "bench", resourceType: "bench", snapshotType: SnapshotType.DB } } };
          for (let sent = 0; sent < SIZE; sent += MiB) yield { msg: { case: "chunk" as const, value: noise(piece).subarray(0, Math.min(MiB, SIZE - sent)) } };
        })(),
      );
      const snap = up.snapshot!;
      const key = randomBytes(32);
      const run = async (start: () => Promise<string>, storeId: string) => {
        const before = rssMiB(server.child.pid!);
        const stop = samplePeak(server.child.pid!);
        const t0 = performance.now();
        const jobId = await start();
        let last;
        for await (const m of jobs.watchJob({ storeId, jobId }, { timeoutMs: 3_600_000 })) last = m.job;
        const ms = performance.now() - t0;
        if (last?.state !== JobState.SUCCEEDED) throw new Error(`job ended in ${last?.state}: ${JSON.stringify(last?.errors)}`);
        return { before, peak: stop(), ms, job: last };
      };
      const gib = (SIZE / 1024 / MiB).toFixed(2);
      const exp = await run(async () => (await transfer.exportSnapshot({ storeId: "bench", snapshotId: snap.snapshotId, destination: `file://${root.path}`, encrypt: true, encryptionKey: key })).job!.jobId, "bench");
      const archive = statSync(`${root.path}/${snap.snapshotId}.vellum`).size;
      report({ name: `export ${gib} GiB, encrypted, to file://`, value: mbps(SIZE, exp.ms), unit: "MB/s" });
      report({ name: `server peak RSS during the ${gib} GiB export`, value: exp.peak, unit: "MiB", baseline: { name: "RSS before", value: exp.before }, target: "< 300 MiB" });
      report({ name: "archive size / content size", value: archive / SIZE, unit: "x" });
      const imp = await run(async () => (await transfer.importSnapshot({ storeId: "bench-2", source: `file://${root.path}/${snap.snapshotId}.vellum`, decryptionKey: key })).job!.jobId, "bench-2");
      report({ name: `import ${gib} GiB, encrypted, from file://`, value: mbps(SIZE, imp.ms), unit: "MB/s" });
      report({ name: `server peak RSS during the ${gib} GiB import`, value: imp.peak, unit: "MiB", baseline: { name: "RSS before", value: imp.before }, target: "< 300 MiB" });
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await db.drop();
      dir.remove();
      root.remove();
    }
  },
};
