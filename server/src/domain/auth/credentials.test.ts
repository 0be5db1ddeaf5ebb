import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError, type DomainError } from "../errors.js";
import { extractCredential, type HeaderSource } from "./credentials.js";

const KEY = `vk_0123456789abcdef0123_${"A".repeat(43)}`;

function rejection(headers: HeaderSource): DomainError {
  try {
    extractCredential(headers);
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error("expected rejection");
}

test("no credential headers → undefined", () => {
  assert.is(extractCredential({}), undefined);
  assert.is(extractCredential(new Headers({ "content-type": "application/grpc" })), undefined);
});

test("authorization: Bearer <jwt> → bearer (scheme case-insensitive)", () => {
  assert.equal(extractCredential({ authorization: "Bearer a.b.c" }), { kind: "bearer", token: "a.b.c" });
  assert.equal(extractCredential(new Headers({ Authorization: "bearer   a.b.c " })), { kind: "bearer", token: "a.b.c" });
});

test("authorization: Bearer vk_... → api key", () => {
  assert.equal(extractCredential({ authorization: `Bearer ${KEY}` }), { kind: "api_key", key: KEY });
});

test("x-api-key → api key (record lookup is case-insensitive)", () => {
  assert.equal(extractCredential({ "x-api-key": KEY }), { kind: "api_key", key: KEY });
  assert.equal(extractCredential({ "X-Api-Key": ` ${KEY} ` }), { kind: "api_key", key: KEY });
  assert.equal(extractCredential(new Headers({ "X-API-Key": KEY })), { kind: "api_key", key: KEY });
});

test("both headers → CREDENTIALS_AMBIGUOUS", () => {
  const e = rejection({ authorization: "Bearer a.b.c", "x-api-key": KEY });
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, "CREDENTIALS_AMBIGUOUS");
});

test("repeated header → CREDENTIALS_AMBIGUOUS", () => {
  assert.is(rejection({ "x-api-key": [KEY, KEY] }).details.reason, "CREDENTIALS_AMBIGUOUS");
  assert.is(rejection({ authorization: "Bearer a.b.c", Authorization: "Bearer d.e.f" }).details.reason, "CREDENTIALS_AMBIGUOUS");
  // Fetch Headers join repeats with ", ", which is then not a single token.
  const h = new Headers();
  h.append("x-api-key", KEY);
  h.append("x-api-key", KEY);
  assert.is(rejection(h).details.reason, "CREDENTIALS_MALFORMED");
});

test("single-element array is accepted", () => {
  assert.equal(extractCredential({ "x-api-key": [KEY] }), { kind: "api_key", key: KEY });
});

test("other schemes → CREDENTIALS_UNSUPPORTED without echoing the value", () => {
  const e = rejection({ authorization: "Basic dXNlcjpzZWNyZXQ=" });
  assert.is(e.details.reason, "CREDENTIALS_UNSUPPORTED");
  assert.not.ok(e.message.includes("dXNlcjpzZWNyZXQ="));
});

test("empty or broken bearer → CREDENTIALS_MALFORMED", () => {
  assert.is(rejection({ authorization: "Bearer" }).details.reason, "CREDENTIALS_MALFORMED");
  assert.is(rejection({ authorization: "Bearer " }).details.reason, "CREDENTIALS_MALFORMED");
  assert.is(rejection({ authorization: "Bearer a b" }).details.reason, "CREDENTIALS_MALFORMED");
  assert.is(rejection({ "x-api-key": "" }).details.reason, "CREDENTIALS_MALFORMED");
  assert.is(rejection({ "x-api-key": "vk_a vk_b" }).details.reason, "CREDENTIALS_MALFORMED");
});

test.run();
