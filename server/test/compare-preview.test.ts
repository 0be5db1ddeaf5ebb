import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { PreviewType } from "../../gen/vellum/v1/compare_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { localAdminPrincipal, type Principal } from "../src/domain/auth/principal.js";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import type { Authenticate } from "../src/rpc/request-gate.js";
import { createAuditRepository } from "../src/storage/db/audit-repo.js";
import { SENSITIVE_PREVIEW_ACTION } from "../src/storage/db/sensitive-read-audit.js";
import { codeOf, createSnapshot, pseudoRandomBytes } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness; order: Snapshot }>("rpc: PreviewSnapshot (redaction, truncation, permissions)");
const STORE = "shop-preview";

/** Requests with `x-test-role: reader` act as an API key holding only snapshot:read; others as the local admin. */
const READER: Principal = { id: "reader-key", kind: "api_key", scopes: new Set(["snapshot:read"]), stores: "*" };
const authenticate: Authenticate = async (headers) => (headers.get("x-test-role") === "reader" ? READER : localAdminPrincipal());
const asReader = { headers: { "x-test-role": "reader" } };

const ORDER = {
  id: "ord-1001",
  customer: {
    name: "Zoë Müller",
    email: "zoe@example.com",
    password: "hunter2-correct-horse",
    card: "4111 1111 1111 1111",
    note: "call me on +44 20 7946 0958",
  },
  api_key: "sk_live_51HxYzAbCdEf",
  lines: Array.from({ length: 60 }, (_, i) => ({ sku: `SKU-${i}`, qty: 1 + (i % 3), title: `Produit n°${i} — été` })),
};

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(authenticate);
  ctx.order = await createSnapshot(ctx.h, STORE, JSON.stringify(ORDER), { resourceType: "order" });
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("JSON preview: pretty, long arrays elided, secrets and personal data masked by default", async ({ h, order }) => {
  const p = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: order.snapshotId }, asReader);
  assert.is(p.type, PreviewType.JSON);
  assert.is(p.mediaType, "application/json");
  assert.is(p.redacted, true);
  assert.is(p.truncated, true, "60 lines are more than the 20 shown");
  assert.is(p.totalBytes, order.size);
  for (const secret of ["hunter2", "zoe@example.com", "4111 1111 1111 1111", "sk_live_51HxYzAbCdEf", "7946 0958"]) {
    assert.not.ok(p.text.includes(secret), `${secret} is masked`);
  }
  for (const path of ["/customer/email", "/customer/password", "/customer/card", "/customer/note", "/api_key"]) {
    assert.ok(p.redactedPaths.includes(path), `${path} is reported`);
  }
  const shown = JSON.parse(p.text) as typeof ORDER & { lines: unknown[] };
  assert.is(shown.customer.name, "Zoë Müller");
  assert.is(shown.customer.password, "[REDACTED]");
  assert.is(shown.lines.length, 21);
  assert.is(shown.lines[20], "… 40 more items");
});

test("max_bytes cuts the preview on a character boundary and marks it truncated", async ({ h, order }) => {
  const p = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: order.snapshotId, maxBytes: 100 });
  assert.ok(Buffer.byteLength(p.text) <= 100);
  assert.ok(p.truncated);
  assert.not.ok(p.text.includes("\uFFFD"));
});

test("text preview reads only the head of a large text and masks key=value secrets", async ({ h }) => {
  const head = "# settings\nDATABASE_PASSWORD=s3cr3t-value\nREGION=eu-west-1\n";
  const body = head + "x".repeat(79) + "\n".repeat(1) + Array.from({ length: 40_000 }, (_, i) => `line ${i} café`).join("\n");
  const s = await createSnapshot(h, STORE, body, { type: SnapshotType.BLOB, resourceType: "config" });
  const p = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: s.snapshotId, maxBytes: 2000 });
  assert.is(p.type, PreviewType.TEXT);
  assert.is(p.mediaType, "text/plain");
  assert.ok(p.truncated);
  assert.is(p.totalBytes, BigInt(Buffer.byteLength(body)));
  assert.ok(Buffer.byteLength(p.text) <= 2000);
  assert.match(p.text, /^DATABASE_PASSWORD=\[REDACTED\]$/m);
  assert.match(p.text, /^REGION=eu-west-1$/m);
  assert.equal(p.redactedPaths, ["line:2"]);
});

test("tar preview lists the members", async ({ h }) => {
  const bytes = await makeTar([
    { name: "site/", type: "directory", mode: 0o755 },
    { name: "site/index.html", content: "<h1>hi</h1>" },
    { name: "site/run.sh", content: "#!/bin/sh\n", mode: 0o755 },
  ]);
  const s = await createSnapshot(h, STORE, bytes, { type: SnapshotType.TAR, resourceType: "bundle" });
  const p = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: s.snapshotId });
  assert.is(p.type, PreviewType.TAR);
  assert.equal(
    p.members.map((m) => [m.name, m.type, Number(m.size), m.mode]),
    [
      ["site/", "directory", 0, 0o755],
      ["site/index.html", "file", 11, 0o644],
      ["site/run.sh", "file", 10, 0o755],
    ],
  );
  assert.match(p.text, /^3 members, 21 bytes$/m);
  assert.match(p.text, /^-rwxr-xr-x +10 site\/run\.sh$/m);
  assert.not.ok(p.truncated);
});

test("binary preview: size, SHA-256 and format; the hex dump only with include_sensitive", async ({ h }) => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...pseudoRandomBytes(5000, 3)]);
  const s = await createSnapshot(h, STORE, png, { type: SnapshotType.ASSET, resourceType: "image" });
  const p = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: s.snapshotId });
  assert.is(p.type, PreviewType.BINARY);
  assert.match(p.text, new RegExp(`^binary, ${png.length} bytes$`, "m"));
  assert.match(p.text, new RegExp(`^sha256 ${s.sha256}$`, "m"));
  assert.match(p.text, /^format: PNG image$/m);
  assert.not.match(p.text, /^00000000 /m);
  const full = await h.compare.previewSnapshot({ storeId: STORE, snapshotId: s.snapshotId, includeSensitive: true });
  assert.is(full.redacted, false);
  assert.match(full.text, /^00000000  89 50 4e 47 0d 0a 1a 0a /m);
});

test("include_sensitive without snapshot:admin is PERMISSION_DENIED", async ({ h, order }) => {
  const e = await codeOf(h.compare.previewSnapshot({ storeId: STORE, snapshotId: order.snapshotId, includeSensitive: true }, asReader));
  assert.is(e.code, Code.PermissionDenied);
  assert.match(e.rawMessage, /snapshot:admin/);
});

test("include_sensitive as admin shows the values and writes an audit event", async ({ h, order }) => {
  const p = await h.compare.previewSnapshot(
    { storeId: STORE, snapshotId: order.snapshotId, includeSensitive: true },
    { headers: { "x-request-id": "preview-audit-1" } },
  );
  assert.is(p.redacted, false);
  assert.equal(p.redactedPaths, []);
  assert.ok(p.text.includes("hunter2-correct-horse"));
  const events = await createAuditRepository(h.services.database.db).list({ storeId: STORE, action: SENSITIVE_PREVIEW_ACTION }, 10);
  const mine = events.filter((e) => e.requestId === "preview-audit-1");
  assert.is(mine.length, 1);
  assert.is(mine[0].resourceType, "snapshot");
  assert.is(mine[0].resourceId, order.snapshotId);
  assert.is(mine[0].actor, "local_admin:local-admin");
});

test("invalid ids and max_bytes are INVALID_ARGUMENT; unknown snapshots NOT_FOUND", async ({ h }) => {
  const e = await codeOf(h.compare.previewSnapshot({ storeId: STORE, snapshotId: "x", maxBytes: -1 }));
  assert.is(e.code, Code.InvalidArgument);
  assert.equal(e.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field).sort(), ["max_bytes", "snapshot_id"]);
  const nf = await codeOf(h.compare.previewSnapshot({ storeId: STORE, snapshotId: "0190f5a2-0000-7000-8000-00000000abcd" }));
  assert.is(nf.code, Code.NotFound);
});

test.run();
