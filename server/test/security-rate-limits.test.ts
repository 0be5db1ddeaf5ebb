import { Code, ConnectError } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { startSecureServer, type SecureServer } from "./support/security-fixtures.js";

interface Ctx {
  s: SecureServer;
  noisy: string;
  quiet: string;
}
const test = suite<Ctx>("security: rate limits per principal and store (real server)");
const BURST = 5;

test.before(async (ctx) => {
  // Slow refill so the test sees the burst, not the refill: writes 1 token/s, reads one every 20 s
  // (the share-link checks must not see a refill however slowly a loaded machine runs them).
  ctx.s = await startSecureServer({
    VELLUM_RATE_WRITE_PER_SEC: "1",
    VELLUM_RATE_WRITE_BURST: String(BURST),
    VELLUM_RATE_READ_PER_SEC: "0.05",
    VELLUM_RATE_READ_BURST: String(BURST),
  });
  const admin = ctx.s.client(ApiKeyService, { apiKey: ctx.s.adminKey });
  ctx.noisy = (await admin.createApiKey({ name: "noisy", scopes: ["snapshot:read", "snapshot:write"], storeIds: ["tenant-a", "tenant-a2"] })).key;
  ctx.quiet = (await admin.createApiKey({ name: "quiet", scopes: ["snapshot:read", "snapshot:write"], storeIds: ["tenant-b"] })).key;
});
test.after(async (ctx) => {
  await ctx.s.close();
});

const create = (ctx: Ctx, key: string, storeId: string, onHeader?: (h: Headers) => void) =>
  ctx.s.client(SnapshotService, { apiKey: key }).createSnapshot(
    { storeId, resourceType: "t", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("x") } },
    { onHeader },
  );

async function settle(ps: Promise<unknown>[]) {
  const results = await Promise.allSettled(ps);
  return {
    ok: results.filter((r) => r.status === "fulfilled").length,
    errors: results.flatMap((r) => (r.status === "rejected" ? [ConnectError.from(r.reason)] : [])),
  };
}

test("one noisy tenant exhausts its own write budget; the other tenant is unaffected", async (ctx) => {
  const started = Date.now();
  const [noisy, quiet] = await Promise.all([
    settle(Array.from({ length: 40 }, () => create(ctx, ctx.noisy, "tenant-a"))),
    settle(Array.from({ length: BURST }, () => create(ctx, ctx.quiet, "tenant-b"))),
  ]);
  const elapsedSec = (Date.now() - started) / 1000;
  assert.is(quiet.ok, BURST, "every request of the quiet tenant succeeded");
  assert.ok(noisy.ok >= BURST && noisy.ok <= BURST + Math.ceil(elapsedSec) + 1, `noisy tenant got ${noisy.ok} through`);
  assert.is(noisy.errors.length, 40 - noisy.ok);
  for (const e of noisy.errors) assert.is(e.code, Code.ResourceExhausted);
  const e = noisy.errors[0];
  const [retry] = e.findDetails(RetryInfoSchema);
  const delayMs = Number(retry.retryDelay!.seconds) * 1000 + retry.retryDelay!.nanos / 1e6;
  assert.ok(delayMs > 0 && delayMs <= 1000, `retry delay ${delayMs} ms`);
  assert.ok(Number(e.metadata.get("retry-after")) >= 1);
  assert.is(e.metadata.get("x-ratelimit-limit"), String(BURST));
  assert.is(e.metadata.get("x-ratelimit-remaining"), "0");
  assert.ok(e.metadata.get("x-request-id"));
});

test("read and write budgets are separate, and each store has its own bucket", async (ctx) => {
  const writes = await settle(Array.from({ length: 10 }, () => create(ctx, ctx.noisy, "tenant-a")));
  assert.ok(writes.errors.some((e) => e.code === Code.ResourceExhausted), "writes of tenant-a are exhausted");
  const list = await ctx.s.client(SnapshotService, { apiKey: ctx.noisy }).listSnapshots({ storeId: "tenant-a" });
  assert.ok(list.totalSize >= BURST, "reads still pass");
  const otherStore = await settle(Array.from({ length: 3 }, () => create(ctx, ctx.noisy, "tenant-a2")));
  assert.is(otherStore.ok, 3, "the same key's budget on another store is untouched");
  const adminSameStore = await settle(Array.from({ length: 3 }, () => create(ctx, ctx.s.adminKey, "tenant-a")));
  assert.is(adminSameStore.ok, 3, "another principal on the same store is untouched");
});

test("successful responses carry x-ratelimit headers", async (ctx) => {
  const seen = new Headers();
  await ctx.s.client(SnapshotService, { apiKey: ctx.quiet }).listSnapshots({ storeId: "tenant-b" }, { onHeader: (h) => h.forEach((v, k) => seen.set(k, v)) });
  assert.is(seen.get("x-ratelimit-limit"), String(BURST));
  assert.ok(Number(seen.get("x-ratelimit-remaining")) < BURST);
  assert.ok(Number(seen.get("x-ratelimit-reset")) >= Math.floor(Date.now() / 1000));
});

test("share links have their own read budget per link: ResolveShare and the download route", async (ctx) => {
  const snap = await create(ctx, ctx.s.adminKey, "tenant-s");
  const shares = ctx.s.client(ShareService, { apiKey: ctx.s.adminKey });
  const link = await shares.shareSnapshot({ storeId: "tenant-s", snapshotId: snap.snapshot!.snapshotId, access: ShareAccess.DOWNLOAD });
  const other = await shares.shareSnapshot({ storeId: "tenant-s", snapshotId: snap.snapshot!.snapshotId, access: ShareAccess.DOWNLOAD });
  const anonymous = ctx.s.client(ShareService, undefined);
  const resolves = await settle(Array.from({ length: BURST + 3 }, () => anonymous.resolveShare({ shareToken: link.shareToken })));
  assert.ok(resolves.ok >= BURST && resolves.ok < BURST + 3, `${resolves.ok} resolves passed`);
  assert.ok(resolves.errors.every((e) => e.code === Code.ResourceExhausted));
  const download = await fetch(link.signedUrl);
  assert.is(download.status, 429);
  assert.ok(Number(download.headers.get("retry-after")) >= 1);
  assert.is((await download.json()).code, "resource_exhausted");
  const fine = await fetch(other.signedUrl);
  assert.is(fine.status, 200, "another link is unaffected");
  assert.is(Buffer.from(await fine.arrayBuffer()).toString(), "x");
});

test.run();
