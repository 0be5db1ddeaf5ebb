import { createHash } from "node:crypto";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { RestoreTargetService } from "../../../gen/vellum/v1/restore_target_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import { createRestoreTarget, type RestoreTargetHandlers } from "./restore-target.js";

const test = suite("sdk: createRestoreTarget (verification, idempotency)");

const content = new TextEncoder().encode(JSON.stringify({ name: "Lamp", price: 39 }));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const ref = { storeId: "s", snapshotId: "id", resourceType: "product", resourceId: "lamp", version: 1n, sha256: sha(content), size: BigInt(content.length), snapshotType: SnapshotType.JSON };

function target(served: Uint8Array, over: Partial<RestoreTargetHandlers> = {}) {
  const applied: string[] = [];
  const fetches: string[] = [];
  const handlers: RestoreTargetHandlers = {
    plan: async ({ content: c }) => ({ summary: `${c.length} bytes` }),
    apply: async ({ idempotencyKey }) => void applied.push(idempotencyKey),
    capture: async () => undefined,
    ...over,
  };
  const fakeFetch = (async (url: string) => (fetches.push(url), new Response(Buffer.from(served)))) as unknown as typeof fetch;
  const transport = createRouterTransport(createRestoreTarget(handlers, { fetch: fakeFetch }));
  return { client: createClient(RestoreTargetService, transport), applied, fetches };
}

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
};

test("content is pulled and verified before a handler sees it; the applied digest defaults to its SHA-256", async () => {
  const t = target(content);
  const plan = await t.client.planRestore({ snapshot: ref, targetResourceId: "lamp", contentUrl: "http://vellum/x" });
  assert.is(plan.plan!.summary, `${content.length} bytes`);
  const res = await t.client.applyRestore({ snapshot: ref, targetResourceId: "lamp", contentUrl: "http://vellum/x", idempotencyKey: "k1" });
  assert.is(res.appliedDigest, ref.sha256);
  assert.equal(t.fetches, ["http://vellum/x", "http://vellum/x"]);
});

test("altered or truncated content is DATA_LOSS and never applied", async () => {
  const altered = content.slice();
  altered[3] ^= 1;
  const bad = target(altered);
  const e = await failure(bad.client.applyRestore({ snapshot: ref, targetResourceId: "lamp", contentUrl: "http://vellum/x", idempotencyKey: "k" }));
  assert.is(e.code, Code.DataLoss);
  assert.equal(bad.applied, []);
  const short = target(content.subarray(0, 5));
  assert.is((await failure(short.client.applyRestore({ snapshot: ref, targetResourceId: "lamp", contentUrl: "http://vellum/x", idempotencyKey: "k" }))).code, Code.DataLoss);
  assert.equal(short.applied, []);
});

test("one idempotency key applies once, concurrent repeats included; a failed apply can be retried", async () => {
  let fail = true;
  const t = target(content, {
    apply: async ({ idempotencyKey }) => {
      await new Promise((r) => setTimeout(r, 20));
      if (idempotencyKey === "flaky" && fail) {
        fail = false;
        throw new ConnectError("busy", Code.Unavailable);
      }
      t.applied.push(idempotencyKey);
    },
  });
  const req = { snapshot: ref, targetResourceId: "lamp", contentUrl: "http://vellum/x", idempotencyKey: "once" };
  const answers = await Promise.all([t.client.applyRestore(req), t.client.applyRestore(req), t.client.applyRestore(req)]);
  await t.client.applyRestore(req);
  assert.equal(t.applied, ["once"]);
  assert.ok(answers.every((a) => a.appliedDigest === ref.sha256));
  const flaky = { ...req, idempotencyKey: "flaky" };
  assert.is((await failure(t.client.applyRestore(flaky))).code, Code.Unavailable);
  await t.client.applyRestore(flaky);
  assert.equal(t.applied, ["once", "flaky"]);
});

test("capture answers not_found, or inline data with its SHA-256", async () => {
  const t = target(content, { capture: async ({ targetResourceId }) => (targetResourceId === "lamp" ? { data: content } : undefined) });
  assert.is((await t.client.captureCurrent({ targetResourceId: "none" })).notFound, true);
  const got = await t.client.captureCurrent({ targetResourceId: "lamp" });
  assert.is(got.sha256, ref.sha256);
  assert.equal(got.content.value, content);
});

test.run();
