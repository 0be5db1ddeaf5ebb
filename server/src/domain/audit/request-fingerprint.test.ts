import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requestFingerprint } from "./request-fingerprint.js";

test("is SHA-256 of the canonical JSON", () => {
  const fp = requestFingerprint({ b: 2, a: "x" });
  assert.is(fp.toHex(), createHash("sha256").update('{"a":"x","b":2}').digest("hex"));
});

test("same body in another key order or with undefined fields → same fingerprint", () => {
  const a = requestFingerprint({ storeId: "s1", labels: { x: "1", y: "2" }, note: undefined });
  const b = requestFingerprint({ labels: { y: "2", x: "1" }, storeId: "s1" });
  assert.ok(a.equals(b));
});

test("different body → different fingerprint", () => {
  const base = { $typeName: "vellum.v1.CreateSnapshotRequest", storeId: "s1", data: new Uint8Array([1, 2]), size: 10n };
  const fp = requestFingerprint(base);
  for (const changed of [
    { ...base, storeId: "s2" },
    { ...base, data: new Uint8Array([1, 3]) },
    { ...base, size: 11n },
    { ...base, $typeName: "vellum.v1.UpdateSnapshotRequest" },
    { ...base, extra: "" },
  ]) {
    assert.not.ok(requestFingerprint(changed).equals(fp), JSON.stringify(Object.keys(changed)));
  }
});

test("omitted top-level keys do not contribute", () => {
  const a = requestFingerprint({ storeId: "s1", requestId: "r1" }, ["requestId"]);
  const b = requestFingerprint({ storeId: "s1", requestId: "r2" }, ["requestId"]);
  assert.ok(a.equals(b));
  assert.not.ok(requestFingerprint({ storeId: "s1", requestId: "r1" }).equals(requestFingerprint({ storeId: "s1", requestId: "r2" })));
});

test("refuses non-plain inputs", () => {
  assert.throws(() => requestFingerprint(new Map()), TypeError);
  assert.throws(() => requestFingerprint([1, 2]), TypeError);
  assert.throws(() => requestFingerprint({ n: NaN }), TypeError);
});

test.run();
