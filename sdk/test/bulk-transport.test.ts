/**
 * The bulk gRPC transport against the real server: its connections receive with the 4 MiB stream
 * and 16 MiB connection windows, every connection it opens is widened once, and uploads and
 * downloads through it are byte-exact.
 */
import type http2 from "node:http2";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import {
  BULK_CONNECTION_WINDOW_BYTES,
  BULK_STREAM_WINDOW_BYTES,
  BulkHttp2SessionManager,
  createBulkGrpcTransport,
  createVellumClient,
  downloadSnapshotBytes,
  SnapshotType,
  uploadSnapshot,
} from "../src/node.js";
import { patternBytes } from "./support/pattern.js";
import { startSdkServer, type SdkServer } from "./support/sdk-server.js";

const MiB = 1024 * 1024;
const content = patternBytes(12 * MiB + 321, 7);
const header = { storeId: "bulk", resourceType: "dump", resourceId: "db", snapshotType: SnapshotType.DB };

/** A session manager of class `Base` that records the sessions its requests ran on. */
function recording(Base: typeof Http2SessionManager, baseUrl: string) {
  const sessions: http2.Http2Session[] = [];
  const manager = new (class extends Base {
    override async request(...args: Parameters<Http2SessionManager["request"]>) {
      const stream = await super.request(...args);
      sessions.push(stream.session!);
      return stream;
    }
  })(baseUrl);
  return { manager, sessions };
}

/** Uploads `bytes` over a connection of `Base`, downloads them back, and returns its receive windows. */
async function roundTrip(Base: typeof Http2SessionManager, baseUrl: string, resourceId: string, bytes: Uint8Array) {
  const { manager, sessions } = recording(Base, baseUrl);
  try {
    const client = createVellumClient(createGrpcTransport({ baseUrl, sessionManager: manager }));
    const snapshot = await uploadSnapshot(client, { ...header, resourceId }, bytes);
    const back = await downloadSnapshotBytes(client, { storeId: "bulk", snapshotId: snapshot.snapshotId });
    assert.ok(Buffer.from(back.bytes).equals(Buffer.from(bytes)));
    assert.ok(sessions.length >= 2);
    assert.ok(sessions.every((s) => s === sessions[0]), "one connection reused");
    // Read before the connection closes: a closed session reports no state.
    return { streamWindow: sessions[0].localSettings.initialWindowSize, connectionWindow: sessions[0].state.effectiveLocalWindowSize };
  } finally {
    manager.abort();
  }
}

const test = suite<{ srv: SdkServer }>("sdk bulk transport");
test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
});
test.after(async (ctx) => {
  await ctx.srv.close();
});

test("connections receive with the bulk windows; transfers are byte-exact", async ({ srv }) => {
  const windows = await roundTrip(BulkHttp2SessionManager, srv.baseUrl, "bulk", content);
  assert.equal(windows, { streamWindow: BULK_STREAM_WINDOW_BYTES, connectionWindow: BULK_CONNECTION_WINDOW_BYTES });
});

test("connect-node's own session manager keeps HTTP/2's 64 KiB windows (what the bulk one changes)", async ({ srv }) => {
  const windows = await roundTrip(Http2SessionManager, srv.baseUrl, "plain", content.subarray(0, 2 * MiB));
  assert.equal(windows, { streamWindow: 65_535, connectionWindow: 65_535 });
});

test("createBulkGrpcTransport serves a ranged download over a widened connection", async ({ srv }) => {
  const client = createVellumClient(createBulkGrpcTransport({ baseUrl: srv.baseUrl }));
  const snapshot = await uploadSnapshot(client, { ...header, resourceId: "ranged" }, content);
  const offset = 5 * MiB + 17;
  const part = await downloadSnapshotBytes(client, { storeId: "bulk", snapshotId: snapshot.snapshotId, offset, length: 3 * MiB });
  assert.ok(Buffer.from(part.bytes).equals(Buffer.from(content.subarray(offset, offset + 3 * MiB))));
});

test.run();
