import { fileURLToPath } from "node:url";
import type { Client } from "@connectrpc/connect";
import { JobState } from "../../../gen/vellum/v1/job_pb.js";
import { JobService } from "../../../gen/vellum/v1/job_service_pb.js";
import { RestoreService } from "../../../gen/vellum/v1/restore_service_pb.js";
import { SnapshotService } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import { startSecureServer, TEST_SHARE_SECRET, type Credential, type SecureServer } from "./security-fixtures.js";
import { startNodeProcess, type NodeProcess } from "./server-process.js";

const TARGET = fileURLToPath(new URL("./restore-target-process.ts", import.meta.url));
const WORKER = fileURLToPath(new URL("./restore-worker-process.ts", import.meta.url));

export const STORE = "shop";
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TargetProcess extends NodeProcess {
  grpcUrl: string;
  httpUrl: string;
  state(): Promise<{ plan: number; apply: number; capture: number; effects: number; keys: string[]; authorization: string[]; resources: Record<string, string> }>;
  seed(id: string, bytes: Uint8Array): Promise<void>;
}

/** A restore target process (restore-target-process.ts, built with the SDK's createRestoreTarget). */
export async function startTarget(env: Record<string, string> = {}): Promise<TargetProcess> {
  const p = await startNodeProcess(TARGET, env, "restore target ready");
  const m = /grpc=(\d+) http=(\d+)/.exec(p.logs.find((l) => l.includes("restore target ready"))!)!;
  const httpUrl = `http://127.0.0.1:${m[2]}`;
  return {
    ...p,
    grpcUrl: `http://127.0.0.1:${m[1]}`,
    httpUrl,
    state: async () => (await fetch(`${httpUrl}/state`)).json(),
    async seed(id, bytes) {
      await fetch(`${httpUrl}/seed/${encodeURIComponent(id)}`, { method: "PUT", body: Buffer.from(bytes) });
    },
  };
}

export async function stopProcess(p: NodeProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill("SIGTERM");
  await p.exited;
}

export interface RestoreRig {
  secure: SecureServer;
  admin: Credential;
  restore: Client<typeof RestoreService>;
  snapshots: Client<typeof SnapshotService>;
  jobs: Client<typeof JobService>;
  /** Starts a worker process (the production composition with short job timing). */
  startWorker(env?: Record<string, string>): Promise<NodeProcess>;
  /** Creates a JSON snapshot of product `id`. */
  snapshot(id: string, doc: unknown): Promise<{ snapshotId: string; sha256: string; bytes: Uint8Array }>;
  /** Polls the job until it is in one of `states` (or `timeoutMs` passes). */
  waitFor(jobId: string, states: JobState[], timeoutMs?: number): Promise<Awaited<ReturnType<Client<typeof JobService>["getJob"]>>["job"] & {}>;
  close(): Promise<void>;
}

/**
 * An API without workers (VELLUM_JOB_CONCURRENCY=0, auth required) and the means to add worker
 * processes; `env` is added to both (e.g. VELLUM_EXPORT_ROOT).
 */
export async function startRestoreRig(env: Record<string, string> = {}): Promise<RestoreRig> {
  const secure = await startSecureServer({ VELLUM_JOB_CONCURRENCY: "0", VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_SCAN_WORKERS: "0", ...env });
  const admin: Credential = { apiKey: secure.adminKey };
  const { config, baseUrl } = secure.server;
  const workers: NodeProcess[] = [];
  const jobs = secure.client(JobService, admin);
  const snapshots = secure.client(SnapshotService, admin);
  return {
    secure,
    admin,
    restore: secure.client(RestoreService, admin),
    snapshots,
    jobs,
    async startWorker(extra = {}) {
      const w = await startNodeProcess(
        WORKER,
        {
          DATABASE_URL: config.databaseUrl!,
          VELLUM_DATA_DIR: config.dataDir,
          VELLUM_AUTH: "required",
          VELLUM_ADMIN_KEY: secure.adminKey,
          VELLUM_SHARE_SECRET: TEST_SHARE_SECRET,
          VELLUM_PUBLIC_URL: baseUrl,
          VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
          VELLUM_SCAN_WORKERS: "0",
          VELLUM_RECLAIM_INTERVAL_MS: "0",
          VELLUM_LIFECYCLE_INTERVAL_MS: "0",
          ...env,
          ...extra,
        },
        "restore worker ready",
      );
      workers.push(w);
      return w;
    },
    async snapshot(id, doc) {
      const bytes = new TextEncoder().encode(JSON.stringify(doc));
      const s = (await snapshots.createSnapshot({ storeId: STORE, resourceType: "product", resourceId: id, snapshotType: SnapshotType.JSON, payload: { case: "data", value: bytes } })).snapshot!;
      return { snapshotId: s.snapshotId, sha256: s.sha256, bytes };
    },
    async waitFor(jobId, states, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = (await jobs.getJob({ storeId: STORE, jobId })).job!;
        if (states.includes(job.state) || Date.now() > until) return job;
        await sleep(100);
      }
    },
    async close() {
      for (const w of workers) await stopProcess(w);
      await secure.close();
    },
  };
}
