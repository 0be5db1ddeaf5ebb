/** The real server process on a fresh database, as the catalog benches use it (no rate limits). */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CatalogService } from "../gen/vellum/v1/catalog_service_pb.js";
import { SearchService } from "../gen/vellum/v1/search_service_pb.js";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { startServerProcess } from "../server/test/support/server-process.js";
import { tempDir } from "../server/test/support/test-server.js";

/** Rate limits as high as the configuration accepts: benches measure the server, not its limits. */
export const UNLIMITED_RATES = {
  VELLUM_RATE_WRITE_PER_SEC: "1000000",
  VELLUM_RATE_WRITE_BURST: "1000000",
  VELLUM_RATE_READ_PER_SEC: "1000000",
  VELLUM_RATE_READ_BURST: "1000000",
};

export async function startCatalogServer() {
  const db = await createTestDatabase();
  const dir = tempDir("vellum-bench-");
  const server = await startServerProcess({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, ...UNLIMITED_RATES });
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
  return {
    snapshots: createClient(SnapshotService, transport),
    catalog: createClient(CatalogService, transport),
    search: createClient(SearchService, transport),
    async stop() {
      server.child.kill("SIGTERM");
      await server.exited;
      await db.drop();
      dir.remove();
    },
  };
}

/** The value below which `p` of the sorted values lie (nearest rank). */
export const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
