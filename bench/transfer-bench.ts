/**
 * End-to-end storage benchmark through the real server process over gRPC on loopback:
 * upload/download throughput vs a bare gRPC server that stores nothing (same run, alternating
 * repetitions, medians), stored bytes
 * for 5 versions of a ~200 MB dump (server-side and SDK incremental path), and the server's peak
 * RSS during a 4 GiB upload and a 2 GiB SDK incremental upload, and the client's peak RSS during a
 * `vellum push` of a 4 GiB dump file.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createClient } from "@connectrpc/connect";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../gen/vellum/v1/upload_service_pb.js";
import { createBulkGrpcTransport } from "../sdk/src/node/bulk-transport.js";
import { uploadSnapshotIncremental } from "../sdk/src/node/incremental-upload.js";
import { buildCli } from "../cli/test/support/run-cli.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { spawnLikeStart, startServerProcess } from "../server/test/support/server-process.js";
import { tempDir } from "../server/test/support/test-server.js";
import { ratioCeiling, requiredCpu } from "./ceiling.js";
import { pullWithCli, pushWithCli, statusKiB, writeDumpFile } from "./cli-push-rss.js";
import { createNoise, dumpVersion, jsonLines } from "./data.js";
import { type BenchModule, type Report, mbps, median } from "./report.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SIZE = Number(process.env.BENCH_TRANSFER_BYTES) || GiB;
const BIG = Number(process.env.BENCH_BIG_BYTES) || 4 * GiB;
const DUMP = Number(process.env.BENCH_DUMP_BYTES) || 200 * 1000 * 1000;
const PIECE = MiB;
/** A size in GiB for labels: whole numbers as such, others with two decimals. */
const gib = (bytes: number) => (bytes % GiB === 0 ? String(bytes / GiB) : (bytes / GiB).toFixed(2));
/** Alternating bare/Vellum repetitions per measurement; the machine is noisy, so medians are reported. */
const REPS = Number(process.env.BENCH_TRANSFER_REPS) || 3;
const cores = availableParallelism();

const rssKiB = (pid: number) => statusKiB(pid, "VmRSS");

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds used so far by process `pid`, all its threads, from /proc. */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0; // exited since it was listed
  }
}

/** CPU seconds used so far by the machine's running PostgreSQL processes. */
function postgresCpu(): number {
  let total = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, "utf8").trim() === "postgres") total += processCpu(Number(name));
    } catch {
      // exited since it was listed
    }
  }
  return total;
}

/**
 * Runs `work` and returns its result with the CPU seconds it cost this process (the client: the
 * SDK transport and the data source), the server process `serverPid`, and PostgreSQL.
 */
async function withCpu<T>(serverPid: number, work: () => Promise<T>): Promise<T & { cpu: { client: number; server: number; postgres: number } }> {
  const c0 = process.cpuUsage();
  const s0 = processCpu(serverPid);
  const p0 = postgresCpu();
  const out = await work();
  const c = process.cpuUsage(c0);
  return { ...out, cpu: { client: (c.user + c.system) / 1e6, server: processCpu(serverPid) - s0, postgres: postgresCpu() - p0 } };
}

function sampleRss(pid: number) {
  let peak = rssKiB(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50);
  return () => (clearInterval(t), Math.max(peak, rssKiB(pid)) / 1024);
}

/** The bare server, run with the same Node flags and environment as `npm start` runs Vellum. */
export async function startBare(): Promise<{ port: number; pid: number; stop(): void }> {
  const child = spawnLikeStart(fileURLToPath(new URL("./bare-server.ts", import.meta.url)), {}, ["ignore", "pipe", "inherit"]);
  const port = await new Promise<number>((resolve) => child.stdout!.on("data", (d) => { const m = /port (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  return { port, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

async function* slices(data: Uint8Array) {
  for (let i = 0; i < data.length; i += PIECE) yield data.subarray(i, Math.min(i + PIECE, data.length));
}

async function* generated(total: number) {
  const noise = createNoise(7);
  const buf = new Uint8Array(PIECE);
  for (let sent = 0; sent < total; sent += PIECE) yield noise(buf).subarray(0, Math.min(PIECE, total - sent));
}

async function* generatedJson(total: number) {
  for (let sent = 0, i = 1; sent < total; sent += PIECE, i++) yield jsonLines(Math.min(PIECE, total - sent), i);
}

type Snapshots = ReturnType<typeof createClient<typeof SnapshotService>>;

async function upload(client: Snapshots, storeId: string, source: AsyncIterable<Uint8Array>) {
  const t0 = performance.now();
  const res = await client.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId, resourceType: "bench", snapshotType: SnapshotType.DB } } };
      for await (const p of source) yield { msg: { case: "chunk" as const, value: p } };
    })(),
  );
  return { ms: performance.now() - t0, snapshot: res.snapshot };
}

async function download(client: Snapshots, storeId: string, snapshotId: string, length: number) {
  const t0 = performance.now();
  let n = 0;
  for await (const m of client.downloadSnapshot({ storeId, snapshotId, length: BigInt(length) })) n += m.chunk.length;
  return { ms: performance.now() - t0, n };
}


export const bench: BenchModule = {
  title: "Storage through the real server (gRPC on loopback) vs a bare gRPC stream",
  async run(report: Report) {
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-");
    const server = await startServerProcess({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_LOG_LEVEL: "info" });
    const bare = await startBare();
    // Every client, Vellum's and the baseline's, is the SDK's bulk transport: with HTTP/2's default
    // 64 KiB client windows a download is capped by round trips (measured ~100-150 MB/s on loopback
    // for the bare server too), which would hide the servers' own costs.
    const transport = (port: number) => createBulkGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, readMaxBytes: 64 * MiB, writeMaxBytes: 64 * MiB });
    const vellum = createClient(SnapshotService, transport(server.port));
    const uploads = createClient(UploadService, transport(server.port));
    const baseline = createClient(SnapshotService, transport(bare.port));
    try {
      const datasets: [string, Uint8Array][] = [
        ["compressible JSON lines", jsonLines(SIZE)],
        ["incompressible random", createNoise(99)(new Uint8Array(SIZE))],
      ];
      for (const [name, data] of datasets) {
        // Bare and Vellum alternate, each Vellum upload into a fresh store (no dedup between
        // repetitions); reported: median MB/s of each and the median of the per-pair ratios.
        type Cpu = { client: number; server: number; postgres: number };
        const up: { bare: number[]; vellum: number[]; ratio: number[]; bareCpu: Cpu[]; vellumCpu: Cpu[] } = { bare: [], vellum: [], ratio: [], bareCpu: [], vellumCpu: [] };
        const down: typeof up = { bare: [], vellum: [], ratio: [], bareCpu: [], vellumCpu: [] };
        let stored = 0;
        for (let rep = 0; rep < REPS; rep++) {
          const store = `tput-${name.length}-${rep}`;
          const b = await withCpu(bare.pid, () => upload(baseline, "bare", slices(data)));
          const v = await withCpu(server.child.pid!, () => upload(vellum, store, slices(data)));
          up.bareCpu.push(b.cpu);
          up.vellumCpu.push(v.cpu);
          up.bare.push(mbps(SIZE, b.ms));
          up.vellum.push(mbps(SIZE, v.ms));
          up.ratio.push(b.ms / v.ms);
          stored = Number(v.snapshot!.storedSize) / SIZE;
          const bd = await withCpu(bare.pid, () => download(baseline, "bare", "x", SIZE));
          const vd = await withCpu(server.child.pid!, () => download(vellum, store, v.snapshot!.snapshotId, 0));
          down.bareCpu.push(bd.cpu);
          down.vellumCpu.push(vd.cpu);
          down.bare.push(mbps(bd.n, bd.ms));
          down.vellum.push(mbps(vd.n, vd.ms));
          down.ratio.push(bd.ms / vd.ms);
        }
        const label = `${gib(SIZE)} GiB ${name}`;
        const required = requiredCpu(data);
        const row = (kind: "upload" | "download", m: typeof up) => {
          const spread = `min ${Math.min(...m.ratio).toFixed(3)}, max ${Math.max(...m.ratio).toFixed(3)}`;
          report({ name: `${kind} ${label}`, value: median(m.vellum), unit: "MB/s", baseline: { name: "bare gRPC", value: median(m.bare) }, ratio: median(m.ratio), target: ">= 0.8" });
          report({ name: `  ${kind} ratio over ${REPS} alternating runs (${spread})`, value: median(m.ratio), unit: "ratio" });
          // Where the machine's CPU went (medians per GiB moved): on 2 cores shared by client,
          // server and database, throughput follows the total.
          const perGiB = (xs: Cpu[], k: keyof Cpu) => median(xs.map((x) => x[k])) / (SIZE / GiB);
          const total = (xs: Cpu[]) => median(xs.map((x) => x.client + x.server + x.postgres)) / (SIZE / GiB);
          const parts = (xs: Cpu[]) => `client ${perGiB(xs, "client").toFixed(2)} + server ${perGiB(xs, "server").toFixed(2)} + postgres ${perGiB(xs, "postgres").toFixed(2)}`;
          report({ name: `  ${kind} CPU s per GiB, Vellum: ${parts(m.vellumCpu)}`, value: total(m.vellumCpu), unit: "s", baseline: { name: `bare (${parts(m.bareCpu)})`, value: total(m.bareCpu) }, ratio: total(m.vellumCpu) / total(m.bareCpu) });
          // The most this machine allows (see ceiling.ts), from medians of the runs above: the
          // client does the same work for both servers, so the lower of its two figures counts.
          const work = kind === "upload" ? "FastCDC + SHA-256 + zstd per chunk" : "zstd decode + SHA-256 per chunk";
          const client = Math.min(median(m.vellumCpu.map((x) => x.client)), median(m.bareCpu.map((x) => x.client)));
          const floor = client + median(m.bareCpu.map((x) => x.server)) + required[kind];
          report({ name: `  ${kind} required ${work}`, value: required[kind] / (SIZE / GiB), unit: "s per GiB" });
          report({ name: `  ${kind} ratio ceiling on ${cores} cores: bare time / ((client + bare server + required) CPU / ${cores})`, value: ratioCeiling(SIZE / 1e3 / median(m.bare), floor, cores), unit: "ratio" });
        };
        row("upload", up);
        report({ name: `  stored bytes / size (${name})`, value: stored, unit: "ratio" });
        row("download", down);
      }
      datasets.length = 0;

      // 5 versions of a ~200 MB sorted dump, 1% scattered edits + inserts between versions.
      let raw = 0;
      let sent = 0;
      for (let v = 1; v <= 5; v++) {
        const d = dumpVersion(DUMP, v);
        raw += d.length;
        await upload(vellum, "dump-server", slices(d));
        const inc = await uploadSnapshotIncremental(uploads, { storeId: "dump-sdk", resourceType: "dump", resourceId: "orders", snapshotType: SnapshotType.DB }, slices(d));
        sent += inc.bytesSent + inc.overheadBytes;
      }
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      const [{ stored }] = await sql`select coalesce(sum(size), 0)::bigint as stored from packs where store_id = 'dump-server'`;
      await sql.end();
      report({ name: `5 versions of a ${(DUMP / 1e6).toFixed(0)} MB dump: stored bytes`, value: Number(stored) / 1e6, unit: "MB", baseline: { name: "raw total", value: raw / 1e6 }, ratio: Number(stored) / raw });
      report({ name: "  same 5 versions via SDK incremental path: bytes sent", value: sent / 1e6, unit: "MB", baseline: { name: "raw total", value: raw / 1e6 }, ratio: sent / raw });

      /** Runs `work` against a freshly started server; its RSS at start and peak (MiB) and the time taken. */
      const onFreshServer = async (name: string, work: (port: number) => Promise<unknown>) => {
        const fresh = await startServerProcess({ DATABASE_URL: db.url, VELLUM_DATA_DIR: `${dir.path}/fresh-${name}`, VELLUM_LOG_LEVEL: "info" });
        try {
          const before = rssKiB(fresh.child.pid!) / 1024;
          const stop = sampleRss(fresh.child.pid!);
          const t0 = performance.now();
          await work(fresh.port);
          return { before, ms: performance.now() - t0, peak: stop() };
        } finally {
          fresh.child.kill("SIGTERM");
          await fresh.exited;
        }
      };

      // Peak RSS of a freshly started server process during a 4 GiB upload of fresh data.
      for (const [kind, source] of [
        ["incompressible", () => generated(BIG)],
        ["compressible JSON", () => generatedJson(BIG)],
      ] as const) {
        const r = await onFreshServer(String(kind.length), (port) => upload(createClient(SnapshotService, transport(port)), `big-${kind.length}`, source()));
        const label = `${gib(BIG)} GiB ${kind} upload`;
        report({ name: `server peak RSS during a ${label}`, value: r.peak, unit: "MiB", baseline: { name: "RSS at start", value: r.before }, target: "< 300 MiB" });
        report({ name: `  ${label} throughput`, value: mbps(BIG, r.ms), unit: "MB/s" });
      }
      // The SDK's incremental path into a fresh server: its CommitSnapshot looks up the whole chunk
      // list and reads the content back to hash it, which UploadSnapshot never does.
      const incBytes = BIG / 2;
      let pushPeak = 0;
      const header = { storeId: "sdk-big", resourceType: "dump", resourceId: "big", snapshotType: SnapshotType.DB };
      const inc = await onFreshServer("sdk", (port) => uploadSnapshotIncremental(createClient(UploadService, transport(port)), header, generatedJson(incBytes)));
      const label = `${gib(incBytes)} GiB compressible JSON SDK incremental upload`;
      report({ name: `server peak RSS during a ${label}`, value: inc.peak, unit: "MiB", baseline: { name: "RSS at start", value: inc.before } });
      report({ name: `  ${label} throughput (client and server on this machine)`, value: mbps(incBytes, inc.ms), unit: "MB/s" });

      // The pipeline client's memory: `vellum push` of a dump file of BIG bytes, every chunk sent.
      buildCli();
      const file = `${dir.path}/dump-${BIG}.bin`;
      writeDumpFile(file, BIG);
      let pushed = "";
      const push = await onFreshServer("cli", (port) => pushWithCli(port, file).then((r) => ((pushPeak = r.peakMiB), (pushed = r.snapshotId))));
      report({ name: `vellum push of a ${gib(BIG)} GiB dump file: client peak RSS`, value: pushPeak, unit: "MiB", target: "< 200 MiB" });
      report({ name: `  vellum push of a ${gib(BIG)} GiB dump file: server peak RSS`, value: push.peak, unit: "MiB", baseline: { name: "RSS at start", value: push.before } });
      report({ name: `  vellum push of a ${gib(BIG)} GiB dump file: throughput`, value: mbps(BIG, push.ms), unit: "MB/s" });
      // And back: `vellum pull` of that snapshot to a file, verified (same data directory).
      let pullPeak = 0;
      const pulledFile = `${dir.path}/pulled-${BIG}.bin`;
      const pull = await onFreshServer("cli", (port) => pullWithCli(port, pushed, pulledFile).then((r) => (pullPeak = r.peakMiB)));
      rmSync(pulledFile, { force: true });
      report({ name: `vellum pull of a ${gib(BIG)} GiB dump file: client peak RSS`, value: pullPeak, unit: "MiB", target: "< 200 MiB" });
      report({ name: `  vellum pull of a ${gib(BIG)} GiB dump file: server peak RSS`, value: pull.peak, unit: "MiB", baseline: { name: "RSS at start", value: pull.before } });
      report({ name: `  vellum pull of a ${gib(BIG)} GiB dump file: throughput`, value: mbps(BIG, pull.ms), unit: "MB/s" });
    } finally {
      bare.stop();
      server.child.kill("SIGTERM");
      await server.exited;
      await db.drop();
      dir.remove();
    }
  },
};
