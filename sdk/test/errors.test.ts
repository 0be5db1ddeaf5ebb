/**
 * Typed errors from the real server over both Node transports: codes, decoded field violations,
 * ErrorInfo reasons and request ids, for unary calls and for streams.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  Code,
  codeName,
  createVellumClient,
  downloadSnapshot,
  SnapshotType,
  VellumError,
  type VellumClient,
} from "../src/index.js";
import { collect, NODE_TRANSPORTS, startSdkServer, type NamedTransport, type SdkServer } from "./support/sdk-server.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "01900000-0000-7000-8000-000000000000";

async function failure(p: Promise<unknown>): Promise<VellumError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, VellumError, `expected VellumError, got ${String(e)}`);
    return e as VellumError;
  }
  throw new Error("expected the call to fail");
}

function errorSuite(t: NamedTransport) {
  const test = suite<{ srv: SdkServer; client: VellumClient }>(`sdk errors: ${t.name}`);

  test.before(async (ctx) => {
    ctx.srv = await startSdkServer();
    ctx.client = createVellumClient(t.make(ctx.srv.baseUrl), { retry: false });
  });
  test.after(async (ctx) => {
    await ctx.srv?.close();
  });

  test("NOT_FOUND is a VellumError with the server's request id", async ({ client }) => {
    const err = await failure(client.snapshots.getSnapshot({ storeId: "s", snapshotId: MISSING }));
    assert.is(err.code, Code.NotFound);
    assert.is(err.name, "VellumError");
    assert.is(codeName(err.code), "NOT_FOUND");
    assert.match(err.requestId ?? "", UUID);
    assert.ok(err.message.startsWith("[NOT_FOUND] "), err.message);
    assert.ok(err.message.includes(err.requestId!), "message names the request id");
    assert.match(err.rawMessage, new RegExp(MISSING));
    assert.equal(err.fieldViolations, []);
    assert.is(err.retryDelayMs, undefined);
  });

  test("a caller-chosen x-request-id comes back on the error", async ({ client }) => {
    const err = await failure(
      client.versions.getLatestVersion({ storeId: "s", resourceType: "product", resourceId: "none" }, { headers: { "x-request-id": "sdk-test.42" } }),
    );
    assert.is(err.code, Code.NotFound);
    assert.is(err.requestId, "sdk-test.42");
  });

  test("INVALID_ARGUMENT carries one decoded field violation per bad field", async ({ client }) => {
    const err = await failure(
      client.snapshots.createSnapshot({
        storeId: "bad store!",
        resourceType: "",
        tags: ["ok", "not ok"],
        snapshotType: SnapshotType.BLOB,
        payload: { case: "data", value: new Uint8Array([1]) },
        ttlDays: -1,
      }),
    );
    assert.is(err.code, Code.InvalidArgument);
    assert.equal(err.fieldViolations.map((v) => v.field).sort(), ["resource_type", "store_id", "tags[1]", "ttl_days"]);
    assert.ok(err.fieldViolations.every((v) => v.description.length > 0));
    assert.match(err.requestId ?? "", UUID);
  });

  test("ErrorInfo reasons are decoded (ABORTED / ETAG_MISMATCH)", async ({ client }) => {
    const created = await client.snapshots.createSnapshot({
      storeId: "s",
      resourceType: "cfg",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: new Uint8Array([7]) },
    });
    const err = await failure(client.snapshots.deleteSnapshot({ storeId: "s", snapshotId: created.snapshot!.snapshotId, etag: "stale" }));
    assert.is(err.code, Code.Aborted);
    assert.is(err.reason, "ETAG_MISMATCH");
  });

  test("errors of server streams are VellumErrors too (NOT_FOUND, OUT_OF_RANGE)", async ({ client }) => {
    const missing = await failure(collect(downloadSnapshot(client, { storeId: "s", snapshotId: MISSING })));
    assert.is(missing.code, Code.NotFound);
    assert.match(missing.requestId ?? "", UUID);
    const created = await client.snapshots.createSnapshot({
      storeId: "s",
      resourceType: "cfg",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: new Uint8Array(10) },
    });
    const range = await failure(collect(downloadSnapshot(client, { storeId: "s", snapshotId: created.snapshot!.snapshotId, offset: 11 })));
    assert.is(range.code, Code.OutOfRange);
  });

  return test;
}

for (const t of NODE_TRANSPORTS) errorSuite(t).run();
