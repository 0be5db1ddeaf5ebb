/**
 * The SDK's file pipelines against restic (Debian's, installed with apt-get when missing) on the
 * same files in the same run: BENCH_PIPE_VERSIONS successive versions of a generated dump-like file
 * of BENCH_PIPE_MB MB (tab-separated rows, about 0.6% of rows changed per version, scattered).
 * SDK: uploadSnapshot(..., { incremental: true }) and downloadSnapshotToFile (verified) over
 * createBulkGrpcTransport, against the compiled server on a fresh database; restic: backup of the
 * same path after each version, then restore of the latest snapshot. Each step also reports the
 * CPU seconds it cost: the SDK's (this process), the server's and restic's (a waited-for child).
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import { createVellumClient, downloadSnapshotToFile, uploadSnapshot } from "../sdk/src/node.js";
import { createBulkGrpcTransport } from "../sdk/src/node/bulk-transport.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { tempDir } from "../server/test/support/test-server.js";
import { startCompiledServer } from "./compiled-server.js";
import { ensureTool } from "./load-tools.js";
import { type BenchModule, type Report, mbps } from "./report.js";

const MB = 1e6;
const SIZE = (Number(process.env.BENCH_PIPE_MB) || 200) * MB;
const VERSIONS = Number(process.env.BENCH_PIPE_VERSIONS) || 4;
/** Rows changed per version, per thousand. */
const CHANGED_PER_MILLE = 6;
const WORDS = "chair lamp table oak walnut steel linen cotton blue green red large small premium eco classic modern vintage".split(" ");

const mix = (a: number) => {
  let h = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
};

/** Writes version `v` (1-based) of the dump to `path`: row i is rewritten in the versions where it changed. */
function writeDump(path: string, v: number): void {
  const fd = openSync(path, "w");
  let pending: string[] = [];
  let pendingBytes = 0;
  let written = 0;
  for (let i = 0; written + pendingBytes < SIZE; i++) {
    let rev = 0;
    for (let w = 2; w <= v; w++) if (mix(i * 7919 + w * 104729) % 1000 < CHANGED_PER_MILLE) rev = w;
    const r = mix(i * 31 + rev * 1_000_003 + 17);
    const line =
      `${i}\t${WORDS[r % 18]} ${WORDS[(r >>> 5) % 18]}\t${(r % 100000) / 100}\t${(r >>> 7) % 997}\tcustomer-${(r >>> 11) % 50000}@example.com\t` +
      `2026-0${1 + rev}-${10 + (r % 18)}\t${(r >>> 3).toString(36)}\n`;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= 1 << 20) {
      written += writeSync(fd, pending.join(""));
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pending.length) writeSync(fd, pending.join(""));
  closeSync(fd);
}

/** CPU seconds (user + system) of this process, and of its children that have been waited for. */
function cpuSeconds(): { self: number; children: number } {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  const u = process.cpuUsage();
  return { self: (u.user + u.system) / 1e6, children: (Number(f[13]) + Number(f[14])) / 100 };
}

interface StepCpu {
  sdk: number;
  server: number;
  restic: number;
}

const seconds = (f: () => unknown) => {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
};
const secondsAsync = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

export const bench: BenchModule = {
  title: `SDK pipelines vs restic ${VERSIONS} versions of a ${SIZE / MB} MB dump, ${CHANGED_PER_MILLE / 10}% rows changed per version`,
  async run(report: Report) {
    ensureTool("restic");
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-pipe-");
    const server = await startCompiledServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: join(dir.path, "server") }, "pipe");
    const client = createVellumClient(createBulkGrpcTransport({ baseUrl: server.base }));
    const file = join(dir.path, "dump.tsv");
    const restic = { ...process.env, RESTIC_PASSWORD: "bench", RESTIC_REPOSITORY: join(dir.path, "restic"), RESTIC_CACHE_DIR: join(dir.path, "restic-cache") };
    const run = (args: string[]) => execFileSync("restic", ["--quiet", ...args], { env: restic, stdio: ["ignore", "ignore", "inherit"] });
    try {
      run(["init"]);
      const sdk: number[] = [];
      const res: number[] = [];
      const cpu: StepCpu[] = [];
      let last = "";
      for (let v = 1; v <= VERSIONS; v++) {
        writeDump(file, v);
        const [c0, s0] = [cpuSeconds(), server.cpu()];
        sdk.push(
          await secondsAsync(async () => {
            last = (await uploadSnapshot(client, { storeId: "pipe", resourceType: "dump", resourceId: "db", snapshotType: SnapshotType.DB }, file, { incremental: true })).snapshotId;
          }),
        );
        const [c1, s1] = [cpuSeconds(), server.cpu()];
        res.push(seconds(() => run(["backup", file])));
        cpu.push({ sdk: c1.self - c0.self, server: s1 - s0, restic: cpuSeconds().children - c1.children });
      }
      const bytes = statSync(file).size;
      const ratio = (r: number, s: number) => r / s;
      report({ name: "first version, upload", value: mbps(bytes, sdk[0] * 1000), unit: "MB/s", baseline: { name: "restic backup", value: mbps(bytes, res[0] * 1000) }, ratio: ratio(res[0], sdk[0]), target: "≥ 1.0" });
      const sdkLater = sdk.slice(1).reduce((a, b) => a + b, 0);
      const resLater = res.slice(1).reduce((a, b) => a + b, 0);
      const later = bytes * (VERSIONS - 1);
      report({
        name: `versions 2..${VERSIONS}, incremental upload`,
        value: mbps(later, sdkLater * 1000),
        unit: "MB/s",
        baseline: { name: "restic backup", value: mbps(later, resLater * 1000) },
        ratio: ratio(resLater, sdkLater),
        target: "≥ 1.5",
      });
      console.log(`  per version (s): SDK ${sdk.map((s) => s.toFixed(2)).join(", ")}; restic ${res.map((s) => s.toFixed(2)).join(", ")}`);
      console.log(`  CPU s per version: ${cpu.map((c) => `SDK ${c.sdk.toFixed(2)} + server ${c.server.toFixed(2)} vs restic ${c.restic.toFixed(2)}`).join("; ")}`);
      const laterCpu = cpu.slice(1).reduce((a, c) => ({ ours: a.ours + c.sdk + c.server, restic: a.restic + c.restic }), { ours: 0, restic: 0 });
      report({
        name: `versions 2..${VERSIONS}, CPU s per GB (SDK + server)`,
        value: laterCpu.ours / (later / 1e9),
        unit: "s/GB",
        baseline: { name: "restic backup", value: laterCpu.restic / (later / 1e9) },
        ratio: laterCpu.restic / laterCpu.ours,
        target: "what the machine's CPU allows",
      });

      const out = join(dir.path, "restored.tsv");
      const [d0, ds0] = [cpuSeconds(), server.cpu()];
      const down = await secondsAsync(() => downloadSnapshotToFile(client, { storeId: "pipe", snapshotId: last }, out));
      const [d1, ds1] = [cpuSeconds(), server.cpu()];
      const target = join(dir.path, "restic-restore");
      mkdirSync(target);
      const rest = seconds(() => run(["restore", "latest", "--target", target]));
      console.log(`  download CPU s: SDK ${(d1.self - d0.self).toFixed(2)} + server ${(ds1 - ds0).toFixed(2)} vs restic ${(cpuSeconds().children - d1.children).toFixed(2)}`);
      report({ name: "download of the last version to a file, SHA-256 verified", value: mbps(bytes, down * 1000), unit: "MB/s", baseline: { name: "restic restore", value: mbps(bytes, rest * 1000) }, ratio: ratio(rest, down), target: "≥ 1.0" });
    } finally {
      await server.stop();
      await db.drop();
      dir.remove();
    }
  },
};
