import { createHash, randomBytes } from "node:crypto";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { CHANNEL_OPTIONS, failure, grpc, loadVellumProtos, unary } from "./support/grpc-js-client.js";
import { freePort } from "./support/server-process.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Interop: @grpc/grpc-js (an independent implementation, loading proto/ at run time) against the
 * real HTTP/2 server on loopback, backed by the machine's PostgreSQL.
 */
interface Ctx {
  db?: TestDatabase;
  env: Record<string, string>;
  dir: { path: string; remove(): void };
  server: TestServer;
  pkgs: ReturnType<typeof loadVellumProtos>;
  snapshots: grpc.Client & Record<string, any>;
  versions: grpc.Client & Record<string, any>;
}
function defineSuite(label: string, database: () => Promise<{ db?: TestDatabase; env: Record<string, string> }>) {
  const test = suite<Ctx>(`interop: @grpc/grpc-js client against the HTTP/2 server (${label})`);

  function connect(ctx: Ctx) {
    const addr = `127.0.0.1:${ctx.server.port}`;
    const creds = grpc.credentials.createInsecure();
    ctx.snapshots = new ctx.pkgs.vellum.v1.SnapshotService(addr, creds, CHANNEL_OPTIONS) as any;
    ctx.versions = new ctx.pkgs.vellum.v1.VersionService(addr, creds, CHANNEL_OPTIONS) as any;
  }

  test.before(async (ctx) => {
    const { db, env } = await database();
    ctx.db = db;
    ctx.dir = tempDir();
    ctx.env = { ...env, VELLUM_DATA_DIR: ctx.dir.path };
    ctx.server = await startTestServer(ctx.env);
    ctx.pkgs = loadVellumProtos();
    connect(ctx);
  });
  test.after(async (ctx) => {
    ctx.snapshots?.close();
    ctx.versions?.close();
    await ctx.server?.stop();
    await ctx.db?.drop();
    ctx.dir?.remove();
  });

  const STORE = "interop";
  const content = randomBytes(24 * 1024 * 1024);
  const sha = createHash("sha256").update(content).digest("hex");
  let uploadedId = "";

  function upload(client: any, header: object, data: Buffer, chunk = 1024 * 1024): Promise<any> {
    return new Promise((resolve, reject) => {
      const call = client.UploadSnapshot((err: grpc.ServiceError | null, res: any) => (err ? reject(err) : resolve(res)));
      call.write({ header });
      let i = 0;
      const pump = () => {
        while (i < data.length) {
          const ok = call.write({ chunk: data.subarray(i, i + chunk) });
          i += chunk;
          if (!ok) return call.once("drain", pump);
        }
        call.end();
      };
      pump();
    });
  }

  function download(client: any, req: object): Promise<{ bytes: Buffer; first: any }> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let first: any;
      const call = client.DownloadSnapshot(req);
      call.on("data", (m: any) => {
        first ??= m;
        parts.push(m.chunk);
      });
      call.on("error", reject);
      call.on("end", () => resolve({ bytes: Buffer.concat(parts), first }));
    });
  }

  test("creates snapshots and sees versions 1..n", async (ctx) => {
    for (let i = 1; i <= 3; i++) {
      const res: any = await unary(ctx.snapshots, "CreateSnapshot", {
        store_id: STORE,
        resource_type: "product",
        resource_id: "sku-42",
        json: { structValue: { fields: { price: { numberValue: i * 10 } } } }, // protobufjs names WKT fields in camelCase
        tags: ["interop"],
        metadata: { commit_message: `v${i}` },
      });
      assert.is(res.snapshot.version, String(i));
      assert.is(res.snapshot.snapshot_type, "SNAPSHOT_TYPE_JSON");
    }
    const list: any = await unary(ctx.versions, "ListVersions", { store_id: STORE, resource_type: "product", resource_id: "sku-42" });
    assert.equal(list.versions.map((v: any) => v.version), ["1", "2", "3"]);
    assert.equal(list.versions.map((v: any) => v.message), ["v1", "v2", "v3"]);
    const latest: any = await unary(ctx.versions, "GetLatestVersion", { store_id: STORE, resource_type: "product", resource_id: "sku-42" });
    assert.is(latest.version.version, "3");
    assert.is(latest.snapshot.snapshot_id, list.versions[2].snapshot_id);
  });

  test("lists page by page", async (ctx) => {
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page: any = await unary(ctx.snapshots, "ListSnapshots", { store_id: STORE, page_size: 2, page_token: token });
      seen.push(...page.snapshots.map((s: any) => s.snapshot_id));
      token = page.next_page_token;
      pages++;
      assert.is(page.total_size, 3);
    } while (token);
    assert.is(pages, 2);
    assert.is(new Set(seen).size, 3);
  });

  test("uploads 24 MiB by client stream and downloads it whole and by range, byte-exact", async (ctx) => {
    const res = await upload(ctx.snapshots, {
      store_id: STORE,
      resource_type: "db_dump",
      resource_id: "orders",
      snapshot_type: "SNAPSHOT_TYPE_DB",
      expected_sha256: sha,
      expected_size: String(content.length),
    }, content);
    uploadedId = res.snapshot.snapshot_id;
    assert.is(res.snapshot.sha256, sha);
    assert.is(res.snapshot.size, String(content.length));
    const whole = await download(ctx.snapshots, { store_id: STORE, snapshot_id: uploadedId });
    assert.is(whole.first.snapshot.sha256, sha);
    assert.ok(whole.bytes.equals(content), "whole download must be byte-exact");
    const offset = 5 * 1024 * 1024 + 12345;
    const length = 3 * 1024 * 1024 + 7;
    const part = await download(ctx.snapshots, { store_id: STORE, snapshot_id: uploadedId, offset: String(offset), length: String(length) });
    assert.ok(part.bytes.equals(content.subarray(offset, offset + length)), "range download must be byte-exact");
    const tail = await download(ctx.snapshots, { store_id: STORE, snapshot_id: uploadedId, offset: String(content.length - 10) });
    assert.ok(tail.bytes.equals(content.subarray(content.length - 10)));
  });

  test("accept_frames: whole chunks come as zstd frames that node:zlib decodes to their sizes and digests, byte-exact", async (ctx) => {
    const lines: string[] = [];
    for (let i = 0; i < 120_000; i++) lines.push(`${i}\tSKU-${(i * 7919) % 100_003}\t${(i * 37) % 9973}\tcustomer-${i % 4999}@example.com`);
    const text = Buffer.from(lines.join("\n"));
    const res = await upload(ctx.snapshots, { store_id: STORE, resource_type: "db_dump", resource_id: "text", snapshot_type: "SNAPSHOT_TYPE_DB" }, text);
    const parts: Buffer[] = [];
    let frameBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const call = ctx.snapshots.DownloadSnapshot({ store_id: STORE, snapshot_id: res.snapshot.snapshot_id, accept_frames: true });
      call.on("data", (m: any) => {
        if (m.frame_lengths.length === 0) return void parts.push(m.chunk);
        assert.is(m.chunk.length, 0, "a message carries plaintext or frames");
        frameBytes += m.frames.length;
        for (let i = 0, at = 0; i < m.frame_lengths.length; at += m.frame_lengths[i++]) {
          const plain = zstdDecompressSync(m.frames.subarray(at, at + m.frame_lengths[i]));
          assert.is(plain.length, m.frame_sizes[i]);
          assert.ok(createHash("sha256").update(plain).digest().equals(m.frame_digests.subarray(32 * i, 32 * i + 32)), "frame digest");
          parts.push(plain);
        }
      });
      call.on("error", reject);
      call.on("end", resolve);
    });
    assert.ok(Buffer.concat(parts).equals(text), "byte-exact");
    assert.ok(frameBytes > 0 && frameBytes < text.length / 3, `frames: ${frameBytes} bytes for ${text.length}`);
  });

  test("upload mismatches fail and make nothing visible", async (ctx) => {
    const before: any = await unary(ctx.snapshots, "ListSnapshots", { store_id: "mismatch" });
    const small = randomBytes(100_000);
    const badHash = await failure(upload(ctx.snapshots, { store_id: "mismatch", resource_type: "x", snapshot_type: "SNAPSHOT_TYPE_BLOB", expected_sha256: "0".repeat(64) }, small));
    assert.is(badHash.code, grpc.status.DATA_LOSS);
    const badSize = await failure(upload(ctx.snapshots, { store_id: "mismatch", resource_type: "x", snapshot_type: "SNAPSHOT_TYPE_BLOB", expected_size: "5" }, small));
    assert.is(badSize.code, grpc.status.INVALID_ARGUMENT);
    const after: any = await unary(ctx.snapshots, "ListSnapshots", { store_id: "mismatch" });
    assert.is(before.total_size, 0);
    assert.is(after.total_size, 0);
  });

  test("client-side dedup: chunks many to a message (more_data) and a packed commit list, from grpc-js", async (ctx) => {
    const addr = `127.0.0.1:${ctx.server.port}`;
    const uploads = new ctx.pkgs.vellum.v1.UploadService(addr, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as any;
    try {
      const data = randomBytes(600_000);
      const sizes = [100_000, 250_000, 50_000, 200_000];
      const chunks = sizes.map((_, i) => data.subarray(sizes.slice(0, i).reduce((a, b) => a + b, 0), sizes.slice(0, i + 1).reduce((a, b) => a + b, 0)));
      const digests = chunks.map((c) => createHash("sha256").update(c).digest());
      const missing: any = await unary(uploads, "FindMissingChunks", { store_id: STORE, digests });
      assert.is(missing.missing_digests.length, 4);
      const frame = zstdCompressSync(chunks[3]);
      const stored: any = await new Promise((resolve, reject) => {
        const call = uploads.UploadChunks((err: grpc.ServiceError | null, res: any) => (err ? reject(err) : resolve(res)));
        call.write({ store_id: STORE, chunk: chunks[0] });
        call.write({ more_data: Buffer.concat([chunks[1], chunks[2], frame]), more_lengths: [chunks[1].length, chunks[2].length, frame.length], more_sizes: [0, 0, chunks[3].length] });
        call.end();
      });
      assert.is(stored.chunks_received, "4");
      const whole = createHash("sha256").update(data).digest("hex");
      const header = { store_id: STORE, resource_type: "dump", resource_id: "dedup", snapshot_type: "SNAPSHOT_TYPE_DB", expected_sha256: whole };
      const committed: any = await unary(uploads, "CommitSnapshot", { header, chunk_digests: Buffer.concat(digests), chunk_sizes: sizes });
      assert.is(committed.snapshot.sha256, whole);
      const got = await download(ctx.snapshots, { store_id: STORE, snapshot_id: committed.snapshot.snapshot_id });
      assert.ok(got.bytes.equals(data));
    } finally {
      uploads.close();
    }
  });

  test("NOT_FOUND, INVALID_ARGUMENT with field violations, OUT_OF_RANGE", async (ctx) => {
    const nf = await failure(unary(ctx.snapshots, "GetSnapshot", { store_id: STORE, snapshot_id: "01900000-0000-7000-8000-000000000000" }));
    assert.is(nf.code, grpc.status.NOT_FOUND);
    const ia = await failure(unary(ctx.snapshots, "CreateSnapshot", { store_id: "", resource_type: "product", data: Buffer.from("x"), snapshot_type: "SNAPSHOT_TYPE_BLOB" }));
    assert.is(ia.code, grpc.status.INVALID_ARGUMENT);
    const bin = ia.metadata.get("grpc-status-details-bin")[0] as Buffer;
    assert.ok(bin, "status details are attached");
    assert.ok(ia.metadata.get("x-request-id")[0], "errors carry the request id");
    const oor = await failure(download(ctx.snapshots, { store_id: STORE, snapshot_id: uploadedId, offset: String(content.length + 1) }));
    assert.is(oor.code, grpc.status.OUT_OF_RANGE);
    const noHeader = await failure(
      new Promise((resolve, reject) => {
        const call = ctx.snapshots.UploadSnapshot((e: any, r: any) => (e ? reject(e) : resolve(r)));
        call.write({ chunk: Buffer.from("no header") });
        call.end();
      }),
    );
    assert.is(noHeader.code, grpc.status.INVALID_ARGUMENT);
  });

  test("health and reflection answer an independent client", async (ctx) => {
    const addr = `127.0.0.1:${ctx.server.port}`;
    const health = new ctx.pkgs.grpc.health.v1.Health(addr, grpc.credentials.createInsecure()) as any;
    const h: any = await unary(health, "Check", { service: "" });
    assert.is(h.status, "SERVING");
    const h2: any = await unary(health, "Check", { service: "vellum.v1.SnapshotService" });
    assert.is(h2.status, "SERVING");
    health.close();
    for (const version of ["v1", "v1alpha"] as const) {
      const refl = new ctx.pkgs.grpc.reflection[version].ServerReflection(addr, grpc.credentials.createInsecure()) as any;
      const replies: any[] = await new Promise((resolve, reject) => {
        const out: any[] = [];
        const call = refl.ServerReflectionInfo();
        call.on("data", (m: any) => out.push(m));
        call.on("error", reject);
        call.on("end", () => resolve(out));
        call.write({ list_services: "" });
        call.write({ file_containing_symbol: "vellum.v1.SnapshotService" });
        call.write({ file_containing_symbol: "vellum.v1.Nope" });
        call.end();
      });
      const names = replies[0].list_services_response.service.map((s: any) => s.name);
      assert.ok(names.includes("vellum.v1.SnapshotService"));
      assert.ok(names.includes("grpc.reflection.v1.ServerReflection"));
      const files: Buffer[] = replies[1].file_descriptor_response.file_descriptor_proto;
      const text = Buffer.concat(files).toString("latin1");
      assert.ok(text.includes("vellum/v1/snapshot_service.proto"));
      assert.ok(text.includes("google/protobuf/struct.proto"), "dependencies are included");
      assert.is(replies[2].error_response.error_code, grpc.status.NOT_FOUND);
      refl.close();
    }
  });

  test("data is still there after a restart", async (ctx) => {
    ctx.snapshots.close();
    ctx.versions.close();
    await ctx.server.stop();
    ctx.server = await startTestServer(ctx.env);
    connect(ctx);
    const got: any = await unary(ctx.snapshots, "GetSnapshot", { store_id: STORE, snapshot_id: uploadedId });
    assert.is(got.snapshot.sha256, sha);
    const whole = await download(ctx.snapshots, { store_id: STORE, snapshot_id: uploadedId });
    assert.ok(whole.bytes.equals(content));
    const latest: any = await unary(ctx.versions, "GetLatestVersion", { store_id: STORE, resource_type: "product", resource_id: "sku-42" });
    assert.is(latest.version.version, "3");
  });

  test.run();
}

defineSuite("PostgreSQL 15 at DATABASE_URL", async () => {
  const db = await createTestDatabase();
  return { db, env: { DATABASE_URL: db.url } };
});
defineSuite("embedded PostgreSQL 18 default", async () => ({
  env: { DATABASE_URL: "", VELLUM_EMBEDDED_PG_PORT: String(await freePort()) },
}));
