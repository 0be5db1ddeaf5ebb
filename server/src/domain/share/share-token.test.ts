import { createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError, type DomainError } from "../errors.js";
import {
  signShareToken,
  verifyShareToken,
  type ShareSigningKey,
  type ShareTokenClaims,
  type VerifyShareOptions,
} from "./share-token.js";
import { rejection } from "../../../test/support/rejection.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const nowSec = NOW.getTime() / 1000;
const k1: ShareSigningKey = { kid: "k1", secret: new Uint8Array(32).fill(1) };
const k2: ShareSigningKey = { kid: "k2", secret: new Uint8Array(32).fill(2) };

const claims = (over: Partial<ShareTokenClaims> = {}): ShareTokenClaims => ({
  shareId: "share-1",
  storeId: "store-1",
  snapshotId: "snap-1",
  access: "DOWNLOAD",
  exp: nowSec + 3600,
  ...over,
});

const revokedIds = new Set<string>();
const opts = (over: Partial<VerifyShareOptions> = {}): VerifyShareOptions => ({
  now: NOW,
  clientIp: "203.0.113.7",
  request: { snapshotId: "snap-1", access: "DOWNLOAD" },
  isRevoked: async (id) => revokedIds.has(id),
  ...over,
});

async function expectRejected(token: string, o: VerifyShareOptions, name: string, reason: string, keys = [k1]): Promise<void> {
  const e = await rejection(verifyShareToken(token, keys, o));
  assert.is(e.name, name);
  assert.is(e.details.reason, reason);
  if (token.length > 0) assert.not.ok(e.message.includes(token), "message must not echo the token");
}

/** Re-signs a modified payload with the right key: what a holder of the secret could do. */
function resign(payload: object, key = k1): string {
  const input = `v1.${key.kid}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${createHmac("sha256", key.secret).update(input).digest("base64url")}`;
}

test("round trip: token format and claims", async () => {
  const token = signShareToken(claims({ ips: ["203.0.113.0/24"], path: "docs/" }), k1);
  assert.match(token, /^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  const got = await verifyShareToken(token, [k1], opts({ request: { snapshotId: "snap-1", path: "docs/a.txt", access: "READ" } }));
  assert.equal(got, claims({ ips: ["203.0.113.0/24"], path: "docs/" }));
});

test("signing is deterministic (canonical payload)", () => {
  const a = signShareToken(claims(), k1);
  const b = signShareToken({ exp: nowSec + 3600, access: "DOWNLOAD", snapshotId: "snap-1", storeId: "store-1", shareId: "share-1" }, k1);
  assert.is(a, b);
});

test("key rotation: tokens of an old key verify while it is listed", async () => {
  const old = signShareToken(claims(), k1);
  const fresh = signShareToken(claims(), k2);
  await verifyShareToken(old, [k2, k1], opts());
  await verifyShareToken(fresh, [k2, k1], opts());
  await expectRejected(old, opts(), "Unauthenticated", "SHARE_TOKEN_KEY_UNKNOWN", [k2]);
});

test("rejects a tampered payload (signature no longer matches)", async () => {
  const token = signShareToken(claims({ access: "READ" }), k1);
  const [v, kid, , sig] = token.split(".");
  const forged = Buffer.from(JSON.stringify(claims({ access: "DOWNLOAD" }))).toString("base64url");
  await expectRejected(`${v}.${kid}.${forged}.${sig}`, opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
});

test("rejects a changed snapshot id in the payload", async () => {
  const token = signShareToken(claims(), k1);
  const [v, kid, , sig] = token.split(".");
  const forged = Buffer.from(JSON.stringify(claims({ snapshotId: "snap-2" }))).toString("base64url");
  const o = opts({ request: { snapshotId: "snap-2", access: "DOWNLOAD" } });
  await expectRejected(`${v}.${kid}.${forged}.${sig}`, o, "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
});

test("rejects a bad signature: other secret, truncated, flipped, padded, swapped kid", async () => {
  const token = signShareToken(claims(), k1);
  const [v, kid, payload, sig] = token.split(".");
  const otherSecret = { kid: "k1", secret: new Uint8Array(32).fill(9) };
  await expectRejected(signShareToken(claims(), otherSecret), opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
  await expectRejected(`${v}.${kid}.${payload}.${sig.slice(0, -1)}`, opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
  const flipped = sig[0] === "A" ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
  await expectRejected(`${v}.${kid}.${payload}.${flipped}`, opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
  await expectRejected(`${v}.${kid}.${payload}.${sig}=`, opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID");
  await expectRejected(`${v}.k2.${payload}.${sig}`, opts(), "Unauthenticated", "SHARE_TOKEN_SIGNATURE_INVALID", [k1, k2]);
});

test("rejects malformed tokens", async () => {
  const token = signShareToken(claims(), k1);
  for (const bad of ["", "garbage", token.replace(/^v1/, "v2"), `${token}.x`, token.split(".").slice(1).join("."), "v1.k!.a.b", "x".repeat(5000)]) {
    await expectRejected(bad, opts(), "Unauthenticated", "SHARE_TOKEN_MALFORMED");
  }
});

test("rejects a correctly signed but invalid payload as malformed", async () => {
  await expectRejected(resign({ ...claims(), access: "ADMIN" }), opts(), "Unauthenticated", "SHARE_TOKEN_MALFORMED");
  await expectRejected(resign({ ...claims(), extra: 1 }), opts(), "Unauthenticated", "SHARE_TOKEN_MALFORMED");
  await expectRejected(resign([1, 2]), opts(), "Unauthenticated", "SHARE_TOKEN_MALFORMED");
});

test("rejects expired tokens (from the exp second on)", async () => {
  const token = signShareToken(claims({ exp: nowSec }), k1);
  await expectRejected(token, opts(), "Unauthenticated", "SHARE_TOKEN_EXPIRED");
  await verifyShareToken(token, [k1], opts({ now: new Date(NOW.getTime() - 1) }));
});

test("rejects access to another snapshot or store", async () => {
  const token = signShareToken(claims(), k1);
  await expectRejected(token, opts({ request: { snapshotId: "snap-2", access: "READ" } }), "PermissionDenied", "SHARE_RESOURCE_MISMATCH");
  await expectRejected(
    token,
    opts({ request: { snapshotId: "snap-1", storeId: "store-2", access: "READ" } }),
    "PermissionDenied",
    "SHARE_RESOURCE_MISMATCH",
  );
  await verifyShareToken(token, [k1], opts({ request: { snapshotId: "snap-1", storeId: "store-1", access: "READ" } }));
});

test("rejects a changed path: file and directory restrictions", async () => {
  const file = signShareToken(claims({ path: "docs/a.txt" }), k1);
  const req = (path?: string) => opts({ request: { snapshotId: "snap-1", path, access: "DOWNLOAD" } });
  await verifyShareToken(file, [k1], req("docs/a.txt"));
  for (const p of ["docs/b.txt", "docs/a.txt2", "docs", undefined]) {
    await expectRejected(file, req(p), "PermissionDenied", "SHARE_RESOURCE_MISMATCH");
  }
  const dir = signShareToken(claims({ path: "docs/" }), k1);
  await verifyShareToken(dir, [k1], req("docs/sub/x.bin"));
  for (const p of ["docsx/a", "other/a", "docs/../secret.txt", "docs/./a"]) {
    await expectRejected(dir, req(p), "PermissionDenied", "SHARE_RESOURCE_MISMATCH");
  }
});

test("READ token cannot download; DOWNLOAD token can read", async () => {
  const read = signShareToken(claims({ access: "READ" }), k1);
  await expectRejected(read, opts(), "PermissionDenied", "SHARE_ACCESS_INSUFFICIENT");
  await verifyShareToken(read, [k1], opts({ request: { snapshotId: "snap-1", access: "READ" } }));
  await verifyShareToken(signShareToken(claims(), k1), [k1], opts({ request: { snapshotId: "snap-1", access: "READ" } }));
});

test("IP allowlist: IPv4 CIDR", async () => {
  const token = signShareToken(claims({ ips: ["203.0.113.0/24"] }), k1);
  await verifyShareToken(token, [k1], opts({ clientIp: "203.0.113.200" }));
  await expectRejected(token, opts({ clientIp: "198.51.100.1" }), "PermissionDenied", "SHARE_IP_DENIED");
});

test("IP allowlist: IPv6 CIDR", async () => {
  const token = signShareToken(claims({ ips: ["2001:db8:1::/48"] }), k1);
  await verifyShareToken(token, [k1], opts({ clientIp: "2001:db8:1:ffff::5" }));
  await expectRejected(token, opts({ clientIp: "2001:db8:2::5" }), "PermissionDenied", "SHARE_IP_DENIED");
  await expectRejected(token, opts({ clientIp: "203.0.113.7" }), "PermissionDenied", "SHARE_IP_DENIED");
});

test("IP allowlist: IPv4-mapped IPv6 client address", async () => {
  const token = signShareToken(claims({ ips: ["203.0.113.0/24"] }), k1);
  await verifyShareToken(token, [k1], opts({ clientIp: "::ffff:203.0.113.9" }));
  await expectRejected(token, opts({ clientIp: "::ffff:198.51.100.1" }), "PermissionDenied", "SHARE_IP_DENIED");
});

test("IP allowlist: missing or unparsable client address is denied", async () => {
  const token = signShareToken(claims({ ips: ["0.0.0.0/0", "::/0"] }), k1);
  await verifyShareToken(token, [k1], opts({ clientIp: "8.8.8.8" }));
  await expectRejected(token, opts({ clientIp: undefined }), "PermissionDenied", "SHARE_IP_DENIED");
  await expectRejected(token, opts({ clientIp: "not-an-ip" }), "PermissionDenied", "SHARE_IP_DENIED");
});

test("rejects revoked shares; revocation is checked only for otherwise valid tokens", async () => {
  const token = signShareToken(claims({ shareId: "share-revoked" }), k1);
  revokedIds.add("share-revoked");
  await expectRejected(token, opts(), "Unauthenticated", "SHARE_REVOKED");
  let calls = 0;
  const counting = opts({ isRevoked: async () => (calls++, false) });
  await expectRejected(signShareToken(claims({ exp: nowSec - 1 }), k1), counting, "Unauthenticated", "SHARE_TOKEN_EXPIRED");
  assert.is(calls, 0);
});

test("signing validates claims and keys", () => {
  const bad: [Partial<ShareTokenClaims> | Record<string, unknown>, string][] = [
    [{ shareId: "" }, "shareId"],
    [{ access: "WRITE" as never }, "access"],
    [{ exp: 1.5 }, "exp"],
    [{ ips: ["10.0.0.1/8"] }, "ips"],
    [{ ips: Array.from({ length: 33 }, () => "10.0.0.0/8") }, "ips"],
    [{ path: "/abs" }, "path"],
    [{ path: "a/../b" }, "path"],
  ];
  for (const [over, field] of bad) {
    try {
      signShareToken({ ...claims(), ...over } as ShareTokenClaims, k1);
      assert.unreachable(field);
    } catch (e) {
      assert.ok(isDomainError(e, "InvalidArgument"), field);
      assert.is((e as DomainError).details.violations?.[0].field, field);
    }
  }
  assert.throws(() => signShareToken(claims(), { kid: "k1", secret: new Uint8Array(31) }), /32 bytes/);
  assert.throws(() => signShareToken(claims(), { kid: "a.b", secret: k1.secret }), /key id/);
});

test.run();
