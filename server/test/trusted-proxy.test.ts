import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { startSecureServer, type SecureServer } from "./support/security-fixtures.js";
import { spawnLikeStart } from "./support/server-process.js";

/**
 * Issue 15 §4: behind a trusted proxy (a real proxy process in front of the server, adding
 * X-Forwarded-For), share-link IP allowlists and the audit log see the real client's address; a
 * forged header is ignored. Loopback aliases stand for hosts: the allowed client is 127.0.0.2, the
 * proxy connects from 127.0.0.3 (VELLUM_TRUSTED_PROXIES), other clients are 127.0.0.4 and .5.
 */
const CLIENT = "127.0.0.2";
const PROXY = "127.0.0.3";
const STRANGER = "127.0.0.4";
const FORGER = "127.0.0.5";
const STORE = "shop-1";
const PROXY_SCRIPT = fileURLToPath(new URL("./support/forwarding-proxy.ts", import.meta.url));

interface Ctx {
  s: SecureServer;
  proxy: ChildProcess;
  proxyPort: number;
  content: Buffer;
  snapshotId: string;
  token: string;
}
const S = suite<Ctx>("trusted proxies: client address from X-Forwarded-For (real proxy process)");

S.before(async (ctx) => {
  ctx.s = await startSecureServer({ VELLUM_TRUSTED_PROXIES: `${PROXY}/32` });
  ctx.content = randomBytes(50_000);
  const snaps = ctx.s.client(SnapshotService, { apiKey: ctx.s.adminKey });
  ctx.snapshotId = (await snaps.createSnapshot({ storeId: STORE, resourceType: "db", snapshotType: SnapshotType.DB, payload: { case: "data", value: ctx.content } })).snapshot!.snapshotId;
  const shared = await ctx.s.client(ShareService, { apiKey: ctx.s.adminKey }).shareSnapshot({
    storeId: STORE,
    snapshotId: ctx.snapshotId,
    access: ShareAccess.DOWNLOAD,
    expiresInSeconds: 600n,
    allowedIps: [`${CLIENT}/32`],
  });
  ctx.token = shared.shareToken;
  ctx.proxy = spawnLikeStart(PROXY_SCRIPT, { PROXY_TARGET_PORT: String(ctx.s.server.port), PROXY_LOCAL_ADDRESS: PROXY }, ["ignore", "pipe", "inherit"]);
  ctx.proxyPort = await new Promise<number>((resolve, reject) => {
    ctx.proxy.once("exit", (code) => reject(new Error(`proxy exited with ${code}`)));
    ctx.proxy.stdout!.once("data", (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
  });
});

S.after(async (ctx) => {
  if (ctx.proxy && ctx.proxy.exitCode === null) {
    const exited = new Promise((r) => ctx.proxy.once("exit", r));
    ctx.proxy.kill("SIGTERM");
    await exited;
  }
  await ctx.s?.close();
});

type Answer = { status: number; body: Buffer };

/** One HTTP/1.1 request to `port` on 127.0.0.1, sent from the local address `from`. */
function send(port: number, from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, localAddress: from, method, path, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const viaProxy = (ctx: Ctx) => ctx.proxyPort;
const direct = (ctx: Ctx) => ctx.s.server.port;
const resolveShare = (ctx: Ctx, port: number, from: string, headers: Record<string, string> = {}) =>
  send(port, from, "POST", "/vellum.v1.ShareService/ResolveShare", { "content-type": "application/json", ...headers }, JSON.stringify({ shareToken: ctx.token }));
const download = (ctx: Ctx, port: number, from: string, headers: Record<string, string> = {}) => send(port, from, "GET", `/v1/share/${ctx.token}/download`, headers);
const codeOf = (a: Answer) => (JSON.parse(a.body.toString()) as { code: string }).code;

S("through the trusted proxy, the allowlisted client resolves and downloads the share", async (ctx) => {
  const resolved = await resolveShare(ctx, viaProxy(ctx), CLIENT);
  assert.is(resolved.status, 200, resolved.body.toString());
  assert.is((JSON.parse(resolved.body.toString()) as { snapshot: { snapshotId: string } }).snapshot.snapshotId, ctx.snapshotId);
  const downloaded = await download(ctx, viaProxy(ctx), CLIENT);
  assert.is(downloaded.status, 200);
  assert.ok(downloaded.body.equals(ctx.content));
});

S("through the trusted proxy, another client is refused even when it sends a forged X-Forwarded-For", async (ctx) => {
  const variants: Record<string, string>[] = [{}, { "x-forwarded-for": CLIENT }, { "x-forwarded-for": `${CLIENT}, ${PROXY}` }];
  for (const headers of variants) {
    const resolved = await resolveShare(ctx, viaProxy(ctx), FORGER, headers);
    assert.is(resolved.status, 403, JSON.stringify(headers));
    assert.is(codeOf(resolved), "permission_denied");
    assert.is((await download(ctx, viaProxy(ctx), FORGER, headers)).status, 403, JSON.stringify(headers));
  }
});

S("an untrusted peer's X-Forwarded-For and Forwarded headers are ignored", async (ctx) => {
  const forged = { "x-forwarded-for": CLIENT, forwarded: `for=${CLIENT}` };
  assert.is((await resolveShare(ctx, direct(ctx), STRANGER, forged)).status, 403);
  assert.is((await download(ctx, direct(ctx), STRANGER, forged)).status, 403);
  // Directly, the allowlisted host is its own peer.
  assert.is((await resolveShare(ctx, direct(ctx), CLIENT)).status, 200);
});

S("the audit log records the real client's address for uses through the proxy", async (ctx) => {
  const events = (await ctx.s.client(AuditService, { apiKey: ctx.s.adminKey }).getSnapshotAudit({ storeId: STORE, snapshotId: ctx.snapshotId })).events;
  const uses = events.filter((e) => e.action === "share.resolve" || e.action === "share.download");
  assert.ok(uses.length >= 3, `${uses.length} share uses audited`);
  const addresses = uses.map((e) => (e.after ? (toJson(ValueSchema, e.after) as { clientIp?: string }).clientIp : undefined));
  assert.equal([...new Set(addresses)], [CLIENT]);
});

S.run();
