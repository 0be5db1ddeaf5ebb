/**
 * Baseline for the throughput benchmark: a bare gRPC server (same connect-node stack, listener and
 * compression settings as Vellum) whose UploadSnapshot consumes and discards the stream and whose
 * DownloadSnapshot streams the requested number of bytes from one reused buffer: it moves bytes and
 * stores nothing. GetSnapshot answers a fixed snapshot: the ceiling of the RPC stack alone for the
 * metadata bench.
 * Prints `port <n>` when listening.
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConnectRouter } from "@connectrpc/connect";
import { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";
import { listen } from "../server/src/http/listen.js";

const buf = new Uint8Array(1024 * 1024).fill(7);
const FIXED = {
  resourceType: "product",
  size: 58n,
  sha256: "0".repeat(64),
  tags: ["new"],
  createTime: { seconds: 1_800_000_000n, nanos: 0 },
  createdBy: "local-admin",
};
const routes = (router: ConnectRouter) =>
  router.service(SnapshotService, {
    async uploadSnapshot(reqs) {
      let n = 0;
      for await (const m of reqs) if (m.msg.case === "chunk") n += m.msg.value.length;
      return { snapshot: { size: BigInt(n) } };
    },
    async getSnapshot(req) {
      return { snapshot: { ...FIXED, storeId: req.storeId, snapshotId: req.snapshotId } };
    },
    async *downloadSnapshot(req) {
      for (let left = Number(req.length); left > 0; left -= buf.length) yield { chunk: left >= buf.length ? buf : buf.subarray(0, left) };
    },
  });
// No response compression, as in Vellum (app.ts): by default connect-node gzips responses for a
// client that accepts gzip, and the baseline would then move compressed bytes and pay zlib.
const handler = connectNodeAdapter({ routes, readMaxBytes: 16 * 1024 * 1024, writeMaxBytes: 16 * 1024 * 1024, compressMinBytes: Number.MAX_SAFE_INTEGER });
const l = await listen(handler, { port: 0, host: "127.0.0.1" });
console.log(`port ${l.port}`);
process.on("SIGTERM", () => void l.close(100).then(() => process.exit(0)));
