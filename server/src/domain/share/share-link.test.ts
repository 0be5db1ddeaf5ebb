import { test } from "uvu";
import * as assert from "uvu/assert";
import { authorize } from "../auth/principal.js";
import { isDomainError } from "../errors.js";
import { parseShareDownloadPath, shareDownloadPath, sharePrincipal } from "./share-link.js";
import { signShareToken } from "./share-token.js";

const token = signShareToken(
  { shareId: "sh1", storeId: "st1", snapshotId: "sn1", access: "DOWNLOAD", exp: 2_000_000_000 },
  { kid: "k1", secret: new Uint8Array(32) },
);

test("download path round trip", () => {
  const path = shareDownloadPath(token);
  assert.is(path, `/v1/share/${token}/download`);
  assert.is(parseShareDownloadPath(path), token);
  assert.is(parseShareDownloadPath(`${path}?x=1`), token);
});

test("download path parsing rejects other shapes", () => {
  for (const p of ["/v1/share//download", `/v1/share/${token}`, `/v1/share/${token}/download/x`, `/v2/share/${token}/download`, `/v1/share/a%2Fb/download`]) {
    assert.is(parseShareDownloadPath(p), undefined, p);
  }
  assert.throws(() => shareDownloadPath("a/b"), TypeError);
});

test("share principal: read on the token's store only", () => {
  const p = sharePrincipal({ shareId: "sh1", storeId: "st1", snapshotId: "sn1", access: "READ", exp: 1 });
  assert.is(p.kind, "share");
  assert.is(p.id, "sh1");
  authorize(p, "snapshot:read", "st1");
  for (const [scope, store, name] of [
    ["snapshot:write", "st1", "PermissionDenied"],
    ["snapshot:read", "st2", "NotFound"],
  ] as const) {
    try {
      authorize(p, scope, store);
      assert.unreachable();
    } catch (e) {
      assert.ok(isDomainError(e, name));
    }
  }
});

test.run();
