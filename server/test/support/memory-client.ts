import { createClient, createRouterTransport, type Client, type Transport } from "@connectrpc/connect";
import { CompareService } from "../../../gen/vellum/v1/compare_service_pb.js";
import { JobService } from "../../../gen/vellum/v1/job_service_pb.js";
import { SnapshotService } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { VersionService } from "../../../gen/vellum/v1/version_service_pb.js";
import { createRoutes } from "../../src/app.js";
import { composeServices, type Services } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/lib/logger.js";
import type { Authenticate } from "../../src/rpc/request-gate.js";
import { createTestDatabase, type TestDatabase } from "./test-db.js";
import { tempDir } from "./test-server.js";

export interface MemoryHarness {
  snapshots: Client<typeof SnapshotService>;
  versions: Client<typeof VersionService>;
  jobs: Client<typeof JobService>;
  compare: Client<typeof CompareService>;
  /** The in-memory transport, for clients of other services. */
  transport: Transport;
  services: Services;
  /** The suite's own database, for seeding rows faster than the API can. */
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * The full router over an in-memory transport (no HTTP), backed by a fresh real Postgres database
 * and a temp blob directory. `env` adds or overrides configuration variables (e.g. limits).
 * `authenticate` defaults to the configured authenticator (VELLUM_AUTH=none: requests without
 * credentials are the local admin; API keys created through ApiKeyService work).
 */
export async function createMemoryHarness(authenticate?: Authenticate, env: Record<string, string> = {}): Promise<MemoryHarness> {
  const db: TestDatabase = await createTestDatabase();
  const dir = tempDir();
  const config = loadConfig({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_JOB_CONCURRENCY: "1", ...env });
  const services = await composeServices(config, silentLogger);
  const { routes, interceptors, requestGate } = createRoutes({
    ...services,
    authenticate: authenticate ?? services.authenticate,
    log: silentLogger,
  });
  const transport = createRouterTransport(routes, { router: { interceptors, requestGate } });
  return {
    snapshots: createClient(SnapshotService, transport),
    versions: createClient(VersionService, transport),
    jobs: createClient(JobService, transport),
    compare: createClient(CompareService, transport),
    transport,
    services,
    databaseUrl: db.url,
    async close() {
      await services.close(1000);
      await db.drop();
      dir.remove();
    },
  };
}
