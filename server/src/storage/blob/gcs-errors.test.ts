import { ApiError } from "@google-cloud/storage";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { blobInvalidRange, type BlobErrorKind } from "./blob-store.js";
import { httpStatus, translateError } from "./gcs-errors.js";

const api = (code: number) => Object.assign(new ApiError(`vendor says ${code}`), { code });

test("HTTP statuses map to the port's errors, keeping the vendor error as cause", () => {
  const cases: Array<[number, BlobErrorKind]> = [
    [404, "BlobNotFound"],
    [412, "BlobAlreadyExists"],
    [409, "BlobAlreadyExists"],
    [416, "BlobInvalidRange"],
    [408, "BlobUnavailable"],
    [429, "BlobUnavailable"],
    [500, "BlobUnavailable"],
    [503, "BlobUnavailable"],
    [403, "BlobUnavailable"],
  ];
  for (const [code, kind] of cases) {
    const vendor = api(code);
    const e = translateError(vendor, "k/1");
    assert.is(e.name, kind, `HTTP ${code}`);
    assert.is(e.key, "k/1");
    assert.is(e.cause, vendor);
    assert.not.match(e.message, /vendor says/, "vendor text stays out of the message");
  }
});

test("gaxios-style and socket errors", () => {
  assert.is(translateError({ status: 404, message: "x" }, "k").name, "BlobNotFound");
  assert.is(translateError({ response: { status: 412 } }, "k").name, "BlobAlreadyExists");
  assert.is(translateError({ code: "416" }, "k").name, "BlobInvalidRange");
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  assert.is(translateError(refused, "k").name, "BlobUnavailable");
  assert.is(translateError(new Error("socket hang up"), "k").name, "BlobUnavailable");
  assert.is(translateError("weird", "k").name, "BlobUnavailable");
  assert.is(httpStatus(refused), undefined);
  assert.is(httpStatus({ code: 99 }), undefined);
});

test("port errors pass through unchanged", () => {
  const own = blobInvalidRange("k", 10, 5);
  assert.is(translateError(own, "other"), own);
});

test.run();
