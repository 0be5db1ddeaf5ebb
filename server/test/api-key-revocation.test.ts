import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { API_KEY_CACHE_TTL_MS } from "../src/domain/auth/api-key-cache.js";
import { codeOf, startSecureServer, TEST_SHARE_SECRET, type SecureServer } from "./support/security-fixtures.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

interface Ctx {
  a: SecureServer;
  b: TestServer;
  bDir: { remove(): void };
}
const test = suite<Ctx>("API key revocation across two server processes on one database (cached key records)");

test.before(async (ctx) => {
  ctx.a = await startSecureServer();
  const dir = tempDir();
  ctx.bDir = dir;
  ctx.b = await startTestServer({
    DATABASE_URL: ctx.a.server.config.databaseUrl,
    VELLUM_DATA_DIR: dir.path,
    VELLUM_AUTH: "required",
    VELLUM_ADMIN_KEY: ctx.a.adminKey,
    VELLUM_SHARE_SECRET: TEST_SHARE_SECRET,
  });
});
test.after(async (ctx) => {
  await ctx.b.stop();
  ctx.bDir.remove();
  await ctx.a.close();
});

const listOn = (baseUrl: string, key: string) =>
  createClient(
    SnapshotService,
    createGrpcTransport({ baseUrl, interceptors: [(next) => (req) => (req.header.set("x-api-key", key), next(req))] }),
  ).listSnapshots({ storeId: "store-a" });

test("a key revoked on one server is refused by the other well before its cached record expires", async (ctx) => {
  const admin = ctx.a.client(ApiKeyService, { apiKey: ctx.a.adminKey });
  const revoked = await admin.createApiKey({ name: "reader", scopes: ["snapshot:read"], storeIds: ["store-a"] });
  const kept = await admin.createApiKey({ name: "other", scopes: ["snapshot:read"], storeIds: ["store-a"] });
  // Both servers authenticate (and cache) both keys.
  for (const key of [revoked.key, kept.key]) {
    assert.is(await codeOf(listOn(ctx.a.server.baseUrl, key)), 0);
    assert.is(await codeOf(listOn(ctx.b.baseUrl, key)), 0);
  }
  const revokedAt = Date.now();
  await admin.revokeApiKey({ keyId: revoked.apiKey!.keyId });
  assert.is(await codeOf(listOn(ctx.a.server.baseUrl, revoked.key)), Code.Unauthenticated, "the revoking server refuses its next request");
  let code: Code | 0 = 0;
  while (code === 0 && Date.now() - revokedAt < API_KEY_CACHE_TTL_MS / 2) {
    code = await codeOf(listOn(ctx.b.baseUrl, revoked.key));
    if (code === 0) await new Promise((r) => setTimeout(r, 20));
  }
  assert.is(code, Code.Unauthenticated, "the other server learns of the revocation from its notification, not from the TTL");
  assert.is(await codeOf(listOn(ctx.b.baseUrl, kept.key)), 0, "the other key still authenticates");
});

test.run();
