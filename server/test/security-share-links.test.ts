import { Code } from "@connectrpc/connect";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { signShareToken } from "../src/domain/share/share-token.js";
import { shareSigningKey } from "../src/security/share-key.js";
import { failureOf, startSecureServer, TEST_SHARE_SECRET, type SecureServer } from "./support/security-fixtures.js";

interface Ctx {
  s: SecureServer;
  content: Buffer;
  snapshotId: string;
  token: string;
  signedUrl: string;
  shareId: string;
}
const test = suite<Ctx>("security: share links, signed download URL with Range (real server)");
const STORE = "shop-1";

test.before(async (ctx) => {
  ctx.s = await startSecureServer();
  ctx.content = randomBytes(300_000);
  const snaps = ctx.s.client(SnapshotService, { apiKey: ctx.s.adminKey });
  ctx.snapshotId = (
    await snaps.createSnapshot({ storeId: STORE, resourceType: "db", snapshotType: SnapshotType.DB, payload: { case: "data", value: ctx.content } })
  ).snapshot!.snapshotId;
  const shared = await ctx.s.client(ShareService, { apiKey: ctx.s.adminKey }).shareSnapshot({
    storeId: STORE,
    snapshotId: ctx.snapshotId,
    access: ShareAccess.DOWNLOAD,
    expiresInSeconds: 600n,
    note: "for the auditor",
  });
  ctx.token = shared.shareToken;
  ctx.signedUrl = shared.signedUrl;
  ctx.shareId = shared.share!.shareId;
});
test.after(async (ctx) => {
  await ctx.s.close();
});

const share = (ctx: Ctx) => ctx.s.client(ShareService, { apiKey: ctx.s.adminKey });
const anonymous = (ctx: Ctx) => ctx.s.client(ShareService, undefined);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** GET (or HEAD) a raw path on the server, exactly as given (no URL normalisation). */
function get(ctx: Ctx, path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: ctx.s.server.port, path, method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}
const pathOf = (url: string) => new URL(url).pathname;

test("ShareSnapshot returns a token and a signed URL; ResolveShare needs no other credential", async (ctx) => {
  assert.ok(ctx.signedUrl.startsWith(`${ctx.s.server.baseUrl}/v1/share/`));
  assert.ok(ctx.signedUrl.endsWith("/download"));
  const resolved = await anonymous(ctx).resolveShare({ shareToken: ctx.token });
  assert.is(resolved.snapshot!.snapshotId, ctx.snapshotId);
  assert.is(resolved.snapshot!.sha256, sha(ctx.content));
  assert.is(resolved.access, ShareAccess.DOWNLOAD);
  assert.is(resolved.note, "for the auditor");
  assert.is(resolved.downloadUrl, ctx.signedUrl);
  // The token grants nothing else: other RPCs still need credentials.
  const other = await failureOf(ctx.s.client(SnapshotService, { bearer: ctx.token }).getSnapshot({ storeId: STORE, snapshotId: ctx.snapshotId }));
  assert.is(other.code, Code.Unauthenticated);
});

test("the signed URL downloads byte-exact, with ETag, Content-Length and Accept-Ranges", async (ctx) => {
  const full = await get(ctx, pathOf(ctx.signedUrl));
  assert.is(full.status, 200);
  assert.ok(full.body.equals(ctx.content));
  assert.is(full.headers["content-length"], String(ctx.content.length));
  assert.is(full.headers["accept-ranges"], "bytes");
  assert.is(full.headers.etag, `"${sha(ctx.content)}"`);
  assert.ok(full.headers["x-request-id"]);
  const head = await get(ctx, pathOf(ctx.signedUrl), {}, "HEAD");
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
  assert.is(head.headers["content-length"], String(ctx.content.length));
});

test("Range requests: 206 with Content-Range, byte-exact; 416 for malformed or unsatisfiable ranges", async (ctx) => {
  const size = ctx.content.length;
  const cases: [string, number, number][] = [
    ["bytes=0-0", 0, 0],
    ["bytes=100-199", 100, 199],
    ["bytes=-500", size - 500, size - 1],
    [`bytes=${size - 10}-`, size - 10, size - 1],
    [`bytes=5-${size + 1000}`, 5, size - 1],
    ["bytes=0-", 0, size - 1],
  ];
  for (let i = 0; i < 12; i++) {
    const a = Math.floor(Math.random() * size);
    const b = a + Math.floor(Math.random() * (size - a));
    cases.push([`bytes=${a}-${b}`, a, b]);
  }
  for (const [range, start, end] of cases) {
    const r = await get(ctx, pathOf(ctx.signedUrl), { range });
    assert.is(r.status, 206, range);
    assert.is(r.headers["content-range"], `bytes ${start}-${end}/${size}`, range);
    assert.is(r.headers["content-length"], String(end - start + 1), range);
    assert.ok(r.body.equals(ctx.content.subarray(start, end + 1)), `${range}: bytes differ`);
  }
  for (const range of ["bytes=10-5", `bytes=${size}-`, "bytes=-0", "bytes=abc", "bytes=-"]) {
    const r = await get(ctx, pathOf(ctx.signedUrl), { range });
    assert.is(r.status, 416, range);
    assert.is(r.headers["content-range"], `bytes */${size}`, range);
  }
  const ignored = await get(ctx, pathOf(ctx.signedUrl), { range: "bytes=0-9", "if-range": '"stale-etag"' });
  assert.is(ignored.status, 200);
  assert.is(ignored.body.length, size);
  const honoured = await get(ctx, pathOf(ctx.signedUrl), { range: "bytes=0-9", "if-range": `"${sha(ctx.content)}"` });
  assert.is(honoured.status, 206);
});

test("the download route works over HTTP/2 (h2c) too", async (ctx) => {
  const session = http2.connect(ctx.s.server.baseUrl);
  try {
    const r = await new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const stream = session.request({ ":path": pathOf(ctx.signedUrl), range: "bytes=1000-1999" });
      const parts: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("data", (d) => parts.push(d));
      stream.on("end", () => resolve({ headers, body: Buffer.concat(parts) }));
      stream.on("error", reject);
    });
    assert.is(r.headers[":status"], 206);
    assert.is(r.headers["content-range"], `bytes 1000-1999/${ctx.content.length}`);
    assert.ok(r.body.equals(ctx.content.subarray(1000, 2000)));
  } finally {
    session.close();
  }
});

test("token mutations are rejected: signature, payload, expiry, path, key", async (ctx) => {
  const [v, kid, payload, sig] = ctx.token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  const reencode = (c: unknown) => Buffer.from(JSON.stringify(c)).toString("base64url");
  const flipped = sig.slice(0, -2) + (sig.at(-2) === "A" ? "B" : "A") + sig.at(-1);
  const tokens: Record<string, [string, number]> = {
    "signature flipped": [`${v}.${kid}.${payload}.${flipped}`, 401],
    "signature dropped": [`${v}.${kid}.${payload}.`, 401],
    "expiry extended": [`${v}.${kid}.${reencode({ ...claims, exp: claims.exp + 86400 })}.${sig}`, 401],
    "other snapshot": [`${v}.${kid}.${reencode({ ...claims, snapshotId: "01900000-0000-7000-8000-000000000000" })}.${sig}`, 401],
    "ip allowlist removed": [`${v}.${kid}.${reencode({ ...claims, ips: ["0.0.0.0/0"] })}.${sig}`, 401],
    "unknown key id": [`${v}.other.${payload}.${sig}`, 401],
    "signed with another secret": [signShareToken({ ...claims }, shareSigningKey(Buffer.from("another-secret-that-is-long-enough-000"))), 401],
    "properly signed but expired": [signShareToken({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }, shareSigningKey(Buffer.from(TEST_SHARE_SECRET))), 401],
    garbage: ["v1.garbage", 401],
  };
  for (const [name, [token, status]] of Object.entries(tokens)) {
    const r = await get(ctx, `/v1/share/${token}/download`);
    assert.is(r.status, status, name);
    assert.is(JSON.parse(r.body.toString()).code, "unauthenticated", name);
    const err = await failureOf(anonymous(ctx).resolveShare({ shareToken: token }));
    assert.is(err.code, Code.Unauthenticated, `ResolveShare: ${name}`);
  }
  for (const path of [
    `/v1/share/${ctx.token}`,
    `/v1/share/${ctx.token}/download/extra`,
    `/v1/share/${ctx.token}/DOWNLOAD`,
    `/v1/share/../v1/share/${ctx.token}/download`,
    `/v1/share//${ctx.token}/download`,
  ]) {
    assert.is((await get(ctx, path)).status, 404, path);
  }
  assert.is((await get(ctx, pathOf(ctx.signedUrl), {}, "POST")).status, 405);
});

test("IP allowlist, access level and revocation are enforced on every use", async (ctx) => {
  const mk = async (access: ShareAccess, allowedIps: string[] = []) =>
    share(ctx).shareSnapshot({ storeId: STORE, snapshotId: ctx.snapshotId, access, allowedIps });
  const elsewhere = await mk(ShareAccess.DOWNLOAD, ["10.0.0.0/8", "2001:db8::/32"]);
  assert.is((await get(ctx, pathOf(elsewhere.signedUrl))).status, 403);
  assert.is((await failureOf(anonymous(ctx).resolveShare({ shareToken: elsewhere.shareToken }))).code, Code.PermissionDenied);
  const here = await mk(ShareAccess.DOWNLOAD, ["127.0.0.1/32"]);
  assert.is((await get(ctx, pathOf(here.signedUrl))).status, 200);
  const readOnly = await mk(ShareAccess.READ);
  assert.is(readOnly.share!.access, ShareAccess.READ);
  assert.is((await anonymous(ctx).resolveShare({ shareToken: readOnly.shareToken })).downloadUrl, "");
  assert.is((await get(ctx, pathOf(readOnly.signedUrl))).status, 403);
  const badIp = await failureOf(share(ctx).shareSnapshot({ storeId: STORE, snapshotId: ctx.snapshotId, access: ShareAccess.READ, allowedIps: ["10.0.0.1/8"] }));
  assert.is(badIp.code, Code.InvalidArgument);

  const revoked = await share(ctx).revokeShare({ storeId: STORE, shareId: here.share!.shareId });
  assert.ok(revoked.share!.revoked);
  assert.is((await get(ctx, pathOf(here.signedUrl))).status, 401);
  assert.is((await failureOf(anonymous(ctx).resolveShare({ shareToken: here.shareToken }))).code, Code.Unauthenticated);
  const active = await share(ctx).listShares({ storeId: STORE });
  assert.not.ok(active.shares.some((s) => s.shareId === here.share!.shareId));
  const all = await share(ctx).listShares({ storeId: STORE, showInactive: true });
  assert.ok(all.shares.some((s) => s.shareId === here.share!.shareId && s.revoked));
});

test("every use is counted and audited under the share's own actor", async (ctx) => {
  const before = (await share(ctx).listShares({ storeId: STORE, snapshotId: ctx.snapshotId })).shares.find((s) => s.shareId === ctx.shareId)!;
  await get(ctx, pathOf(ctx.signedUrl), { range: "bytes=0-9" });
  await anonymous(ctx).resolveShare({ shareToken: ctx.token });
  const after = (await share(ctx).listShares({ storeId: STORE, snapshotId: ctx.snapshotId })).shares.find((s) => s.shareId === ctx.shareId)!;
  assert.is(after.useCount, before.useCount + 2n);
  assert.ok(after.lastUseTime);
  const events = (await ctx.s.client(AuditService, { apiKey: ctx.s.adminKey }).getSnapshotAudit({ storeId: STORE, snapshotId: ctx.snapshotId, pageSize: 1000 })).events;
  const uses = events.filter((e) => e.actor === `share:${ctx.shareId}`);
  assert.is(BigInt(uses.length), after.useCount);
  const last = uses.slice(-2);
  assert.equal(last.map((e) => e.action), ["share.download", "share.resolve"]);
  assert.is((last[0].after!.kind.value as { fields: Record<string, { kind: { value: unknown } }> }).fields.range.kind.value, "bytes=0-9");
});

test("ShareSnapshot idempotency: 20 parallel creates with one key make one link; another body is ALREADY_EXISTS", async (ctx) => {
  const req = { storeId: STORE, snapshotId: ctx.snapshotId, access: ShareAccess.READ, note: "idem", idempotencyKey: "share-key-1" };
  const results = await Promise.all(Array.from({ length: 20 }, () => share(ctx).shareSnapshot(req)));
  assert.is(new Set(results.map((r) => r.share!.shareId)).size, 1);
  assert.is(new Set(results.map((r) => r.shareToken)).size, 1);
  const listed = await share(ctx).listShares({ storeId: STORE, snapshotId: ctx.snapshotId, pageSize: 1000 });
  assert.is(listed.shares.filter((s) => s.note === "idem").length, 1);
  const other = await failureOf(share(ctx).shareSnapshot({ ...req, note: "different" }));
  assert.is(other.code, Code.AlreadyExists);
});

test.run();
