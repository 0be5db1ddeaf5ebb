import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { JobService } from "../../../gen/vellum/v1/job_service_pb.js";
import { SnapshotService } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { VersionService } from "../../../gen/vellum/v1/version_service_pb.js";
import { createRoutes } from "../../src/app.js";
import { composeServices, type Services } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/lib/logger.js";
import { localAdmin, type Authenticate } from "../../src/rpc/auth-interceptor.js";
import { createTestDatabase, type TestDatabase } from "./test-db.js";
import { tempDir } from "./test-server.js";

export interface MemoryHarness {
  snapshots: Client<typeof SnapshotService>;
  versions: Client<typeof VersionService>;
  jobs: Client<typeof JobService>;
  services: Services;
  close(): Promise<void>;
}

/**
 * The full router over an in-memory transport (no HTTP), backed by a fresh real Postgres database
 * and a temp blob directory.
 */
export async function createMemoryHarness(authenticate: Authenticate = localAdmin): Promise<MemoryHarness> {
  const db: TestDatabase = await createTestDatabase();
  const dir = tempDir();
  const config = loadConfig({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_JOB_CONCURRENCY: "1" });
  const services = await composeServices(config, silentLogger);
  const { routes, interceptors } = createRoutes({
    ...services,
    authenticate,
    log: silentLogger,
    limits: { maxMessageBytes: config.maxMessageBytes, maxTimeoutMs: config.maxTimeoutMs },
  });
  const transport = createRouterTransport(routes, { router: { interceptors } });
  return {
    snapshots: createClient(SnapshotService, transport),
    versions: createClient(VersionService, transport),
    jobs: createClient(JobService, transport),
    services,
    async close() {
      await services.close(1000);
      await db.drop();
      dir.remove();
    },
  };
}
