import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createLogger } from "../src/lib/logger.js";
import { createTestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir } from "./support/test-server.js";

/**
 * A client that stops reading a download and cancels it is a normal client event: the server logs
 * it at debug level, with no error-level entry and nothing on console.error (connect-node's own
 * adapter printed a ConnectError stack for `write ECANCELED`).
 */
const test = suite("a cancelled download is a client event, logged at debug (real HTTP/2 server)");

const MiB = 1024 * 1024;
/**
 * The server's debug line for a call the client ended: the observability interceptor's when the
 * cancel reaches the handler, the response writer's when it arrives while the response is written.
 */
const clientEvent = (msg: string) => msg === "call ended by the client" || msg.startsWith("client went away");

/** 24 MiB of dump-like text: stored as zstd chunks, downloaded as frames with accept_frames. */
function text(size: number): Buffer {
  const rows: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const row = `${i}\tSKU-${(i * 7919) % 100_003}\t${(i * 37) % 9973}\tcustomer-${i % 4999}@example.com\n`;
    rows.push(row);
    n += row.length;
  }
  return Buffer.from(rows.join("")).subarray(0, size);
}

for (const [kind, acceptFrames, make] of [
  ["plaintext", false, () => randomBytes(24 * MiB)],
  ["zstd frames", true, () => text(24 * MiB)],
] as const) {
  test(`cancelling a download mid-stream logs one debug line and no error (${kind})`, async () => {
    const lines: { level: string; msg: string }[] = [];
    const log = createLogger("debug", {}, (l) => lines.push(JSON.parse(l) as { level: string; msg: string }));
    const db = await createTestDatabase();
    const dir = tempDir();
    const server = await startTestServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path }, log);
    const consoleErrors: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void consoleErrors.push(args);
    try {
      const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: server.baseUrl }));
      const content = make();
      const { snapshot } = await client.uploadSnapshot(
        (async function* () {
          yield { msg: { case: "header" as const, value: { storeId: "cancel", resourceType: "blob", snapshotType: SnapshotType.BLOB } } };
          for (let at = 0; at < content.length; at += MiB) yield { msg: { case: "chunk" as const, value: content.subarray(at, at + MiB) } };
        })(),
      );
      let sawFrames = false;
      for (let attempt = 0; attempt < 5 && !lines.some((l) => clientEvent(l.msg)); attempt++) {
        const abort = new AbortController();
        let chunks = 0;
        try {
          for await (const m of client.downloadSnapshot({ storeId: "cancel", snapshotId: snapshot!.snapshotId, acceptFrames }, { signal: abort.signal })) {
            if (m.chunk.length === 0 && m.frameLengths.length === 0) continue;
            sawFrames ||= m.frameLengths.length > 0;
            if (++chunks === 1) abort.abort();
          }
        } catch {
          // The cancelled call rejects on the client side; that is the point.
        }
        for (let t = Date.now(); Date.now() - t < 3000 && !lines.some((l) => clientEvent(l.msg)); ) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(lines.some((l) => l.level === "debug" && clientEvent(l.msg)), JSON.stringify(lines.slice(-5)));
      assert.equal(lines.filter((l) => l.level === "error"), []);
      assert.equal(consoleErrors, []);
      assert.is(sawFrames, acceptFrames, "frames exactly when asked for");
    } finally {
      console.error = consoleError;
      await server.stop();
      await db.drop();
      dir.remove();
    }
  });
}

test.run();
