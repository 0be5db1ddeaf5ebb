/**
 * PreviewSnapshot redaction through the real server: HTTP/2 listener, interceptors, the use case
 * that reads snapshot content, and the wire encodings (gRPC binary and Connect JSON).
 */
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PreviewType } from "../../gen/vellum/v1/compare_pb.js";
import { CompareService, type PreviewSnapshotResponse } from "../../gen/vellum/v1/compare_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import { leakedWindow, plantedJson, plantedText, serializeJson } from "./support/planted-secrets.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snapshots: Client<typeof SnapshotService>;
  /** The same service over gRPC (binary) and over Connect with JSON. */
  compares: Client<typeof CompareService>[];
}

const test = suite<Ctx>("rpc: PreviewSnapshot never shows a secret (real server, gRPC and Connect JSON)");
const STORE = "preview-redaction";
const ALL_TYPES = [PreviewType.AUTO, PreviewType.JSON, PreviewType.TEXT, PreviewType.TAR, PreviewType.BINARY];

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path });
  const grpc = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snapshots = createClient(SnapshotService, grpc);
  ctx.compares = [createClient(CompareService, grpc), createClient(CompareService, createConnectTransport({ baseUrl: ctx.server.baseUrl, httpVersion: "1.1", useBinaryFormat: false }))];
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

async function create(ctx: Ctx, bytes: Uint8Array | string, type: SnapshotType): Promise<string> {
  const res = await ctx.snapshots.createSnapshot({
    storeId: STORE,
    resourceType: "doc",
    snapshotType: type,
    payload: { case: "data", value: typeof bytes === "string" ? Buffer.from(bytes) : bytes },
  });
  return res.snapshot!.snapshotId;
}

/** Every preview type of a snapshot over every client; TAR of non-tar content fails, as it should. */
async function previews(ctx: Ctx, snapshotId: string, maxBytes = 0): Promise<PreviewSnapshotResponse[]> {
  const out: PreviewSnapshotResponse[] = [];
  for (const compare of ctx.compares) {
    for (const type of ALL_TYPES) {
      try {
        out.push(await compare.previewSnapshot({ storeId: STORE, snapshotId, type, maxBytes }));
      } catch (e) {
        if (type !== PreviewType.TAR) throw e;
      }
    }
  }
  return out;
}

const wire = (p: PreviewSnapshotResponse) => JSON.stringify({ ...p, totalBytes: String(p.totalBytes), members: p.members.map((m) => ({ ...m, size: String(m.size) })) });

function assertClean(ps: PreviewSnapshotResponse[], secrets: string[]) {
  assert.ok(ps.length > 0);
  for (const p of ps) for (const s of secrets) assert.not.ok(wire(p).includes(s), `${s} in ${PreviewType[p.type]}: ${p.text}`);
}

const LEAKS =
  '{"refresh_tokens":["rt_first","rt_second_5e6f7a"],"credentials":{"username":"svc","value":"realsecret1"},"password":"hun\\"ter2","db":"postgres://admin:s3cr3tpw@db:5432/x","sku":"SKU-1"}';
const LEAKED = ["rt_first", "rt_second_5e6f7a", "realsecret1", "ter2", "hun", "s3cr3tpw", "admin:"];

test("the reproduced leaks: a JSON snapshot in every preview type", async (ctx) => {
  const id = await create(ctx, LEAKS, SnapshotType.JSON);
  const ps = await previews(ctx, id);
  assertClean(ps, LEAKED);
  const text = ps.find((p) => p.type === PreviewType.TEXT)!;
  assert.equal(JSON.parse(text.text), {
    refresh_tokens: ["[REDACTED]", "[REDACTED]"],
    credentials: { username: "[REDACTED]", value: "[REDACTED]" },
    password: "[REDACTED]",
    db: "postgres://[REDACTED:userinfo]@db:5432/x",
    sku: "SKU-1",
  });
  assert.equal(text.redactedPaths, ["/refresh_tokens", "/credentials", "/password", "/db"]);
});

test("a BLOB of .env text, a tar with secrets in member names, and the head of a large JSON document", async (ctx) => {
  const env = 'DB_URL=postgres://admin:s3cr3tpw@db:5432/x\nexport API_TOKEN="hun\\"ter2"\nREFRESH_TOKENS=rt_first,rt_second_5e6f7a\nCREDENTIALS:\n  value: realsecret1\nNAME=shop\n';
  const blob = await previews(ctx, await create(ctx, env, SnapshotType.BLOB));
  assertClean(blob, LEAKED);
  const texts = blob.filter((p) => p.type === PreviewType.TEXT);
  assert.is(texts.length, 6, "AUTO, JSON (not JSON: shown as text) and TEXT over both clients");
  for (const p of texts) assert.match(p.text, /^NAME=shop$/m);

  const tar = await makeTar([{ name: "dumps/postgres://admin:s3cr3tpw@db/x.sql", content: "1" }, { name: "keys/token=realsecret1", content: "2" }]);
  const tarPs = await previews(ctx, await create(ctx, tar, SnapshotType.TAR));
  assertClean(tarPs, LEAKED);
  assert.ok(tarPs.some((p) => p.type === PreviewType.TAR && p.members.length === 2));

  // Larger than the TEXT head read for max_bytes 2000 (4 × 2000 + 4096 bytes): the head is parsed as a JSON prefix.
  const big = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => ({ sku: `SKU-${i}`, token: `tok_${i}_realsecret1`, url: "postgres://admin:s3cr3tpw@db/x" })) });
  const bigPs = await previews(ctx, await create(ctx, big, SnapshotType.JSON), 2000);
  assertClean(bigPs, ["realsecret1", "s3cr3tpw", "admin:"]);
  const head = bigPs.find((p) => p.type === PreviewType.TEXT)!;
  assert.ok(head.truncated);
  assert.ok(head.text.includes('"sku": "SKU-0"') && head.redactedPaths.includes("/items/0/token"));
});

test("property through the server: generated JSON and text snapshots leak no planted secret in any preview type", async (ctx) => {
  const clean = (ps: PreviewSnapshotResponse[], cores: string[]) => {
    for (const p of ps) assert.is(leakedWindow(wire(p), cores), undefined, p.text);
  };
  await fc.assert(
    fc.asyncProperty(plantedJson, plantedText, fc.constantFrom(0, 300), async (json, text, maxBytes) => {
      const jsonId = await create(ctx, serializeJson(json.doc, { indent: 0, escapeEvery: 5 }), SnapshotType.JSON);
      clean(await previews(ctx, jsonId, maxBytes), json.cores);
      const textId = await create(ctx, text.doc, SnapshotType.BLOB);
      clean(await previews(ctx, textId, maxBytes), text.cores);
    }),
    { numRuns: 12 },
  );
});

test.run();
