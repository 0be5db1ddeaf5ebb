import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { codeName, IntegrityError, isVellumError, toVellumError, UnsupportedTransportError, VellumError } from "./errors.js";

test("toVellumError decodes field violations, RetryInfo, ErrorInfo and the request id", () => {
  const ce = new ConnectError("bad", Code.InvalidArgument, { "x-request-id": "r-1, r-1" }, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: [{ field: "store_id", description: "is required" }] }) },
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: create(DurationSchema, { seconds: 2n, nanos: 500_000_000 }) }) },
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "WHY", domain: "vellum.v1" }) },
  ]);
  const v = toVellumError(ce);
  assert.is(v.code, Code.InvalidArgument);
  assert.equal(v.fieldViolations, [{ field: "store_id", description: "is required" }]);
  assert.is(v.retryDelayMs, 2500);
  assert.is(v.reason, "WHY");
  assert.is(v.requestId, "r-1");
  assert.is(v.message, "[INVALID_ARGUMENT] bad (request id r-1)");
  assert.is(v.cause, ce);
  assert.is(toVellumError(v), v, "idempotent");
});

test("retry-after (seconds) is the fallback retry delay", () => {
  const v = toVellumError(new ConnectError("slow", Code.ResourceExhausted, { "retry-after": "3" }));
  assert.is(v.retryDelayMs, 3000);
});

test("non-Connect errors become UNKNOWN, aborts become CANCELLED", () => {
  assert.is(toVellumError(new Error("boom")).code, Code.Unknown);
  assert.is(toVellumError("text").code, Code.Unknown);
  const abort = new Error("aborted");
  abort.name = "AbortError";
  assert.is(toVellumError(abort).code, Code.Canceled);
  assert.is(codeName(Code.Canceled), "CANCELLED");
  assert.is(codeName(Code.ResourceExhausted), "RESOURCE_EXHAUSTED");
});

test("a connection lost under a call is UNAVAILABLE (connect-node says ABORTED); the server's own ABORTED stays", () => {
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  const lost = toVellumError(new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, reset));
  assert.is(lost.code, Code.Unavailable);
  assert.match(lost.message, /connection lost: read ECONNRESET/);
  const goaway = Object.assign(new Error("session closed"), { code: "ERR_HTTP2_GOAWAY_SESSION" });
  assert.is(toVellumError(new ConnectError("x", Code.Internal, undefined, undefined, new Error("wrapped", { cause: goaway }))).code, Code.Unavailable);
  const premature = Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
  const cut = toVellumError(new ConnectError("Premature close", Code.Unknown, undefined, undefined, premature));
  assert.is(cut.code, Code.Unavailable, "a response stream whose connection was destroyed");
  assert.is(toVellumError(new ConnectError("version moved", Code.Aborted)).code, Code.Aborted, "an answer of the server");
  assert.is(toVellumError(new ConnectError("x", Code.FailedPrecondition, undefined, undefined, reset)).code, Code.FailedPrecondition, "only client-side codes are reread");
});

test("subclasses keep the name discriminator and are VellumErrors", () => {
  const i = new IntegrityError("sha256", "aa", "bb");
  assert.is(i.name, "IntegrityError");
  assert.is(i.code, Code.DataLoss);
  assert.ok(isVellumError(i, Code.DataLoss));
  assert.not.ok(isVellumError(i, Code.NotFound));
  const u = new UnsupportedTransportError("no streams");
  assert.is(u.name, "UnsupportedTransportError");
  assert.instance(u, VellumError);
  assert.not.ok(isVellumError(new ConnectError("x", Code.NotFound)));
});

test.run();
