import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_KEY_PATTERNS, isFieldName, keyMatcher, keyWords } from "./sensitive-keys.js";

const isSecret = keyMatcher(DEFAULT_KEY_PATTERNS);

test("keyWords splits camelCase, acronyms and separators into lowercase words", () => {
  assert.is(keyWords("refreshTokens"), "refresh_tokens");
  assert.is(keyWords("APIKey"), "api_key");
  assert.is(keyWords("X-Auth-Token"), "x_auth_token");
  assert.is(keyWords("db.pwd"), "db_pwd");
  assert.is(keyWords("__Basic  Auth__"), "basic_auth");
});

test("default patterns match credential, session, contact and payment keys in any case or separator style", () => {
  const keys = [
    "password", "Password", "user_password", "DB_PASSWORD", "passwd", "passphrase", "pwd", "db_pwd", "pass", "pw",
    "secret", "client_secret", "clientSecret", "token", "access_token", "refreshToken", "refresh_tokens", "id_token",
    "api_key", "apiKey", "API-KEY", "x-api-key", "apikey", "access_key_id", "AWS_SECRET_ACCESS_KEY", "private_key",
    "privateKey", "signing_key", "AccountKey", "Authorization", "auth", "basicAuth", "auth_header", "credentials",
    "cookie", "Set-Cookie", "session", "sessionId", "session_token", "pin", "otp", "jwt", "bearer",
    "email", "customer_email", "phone", "phone_number", "telephone",
    "card", "credit_card", "card_number", "cardNo", "creditCardNumber", "cvv", "cvc",
    "iban", "ssn", "SSN", "social_security_number", "tax_id", "passport_number",
  ];
  assert.equal(keys.filter((k) => !isSecret(k)), []);
});

test("ordinary catalog keys are not sensitive", () => {
  const keys = [
    "id", "sku", "title", "description", "author", "authority", "classname", "barcode", "card_design", "scorecard",
    "price", "tags", "handle", "vendor", "updated_at", "passenger", "compass", "spin", "pinned", "keyboard", "key",
    "username", "value", "region", "colour",
  ];
  assert.equal(keys.filter(isSecret), []);
});

test("custom patterns replace the defaults; spreading the defaults extends them; RegExps see the words form", () => {
  const only = keyMatcher(["internal note", /^x$/]);
  assert.ok(only("internal_note"));
  assert.ok(only("x"));
  assert.not.ok(only("xx"));
  assert.not.ok(only("password"));
  const extended = keyMatcher([...DEFAULT_KEY_PATTERNS, "supplier_cost"]);
  assert.ok(extended("supplierCost"));
  assert.ok(extended("password"));
  // Global/sticky flags on a caller's RegExp do not make matching stateful.
  const g = keyMatcher([/^pin$/gi]);
  assert.ok(g("pin") && g("PIN") && g("Pin"));
  assert.ok(keyMatcher([/(^|_)cost$/])("unitCost"));
});

test("isFieldName: words of letters are field names; tokens and ids used as keys are not", () => {
  for (const n of ["username", "value", "client_id", "accessKey", "API_KEY", "first name", "x-api-key", "db.password"]) assert.ok(isFieldName(n), n);
  for (const n of ["3f9a1c77", "rt_88d2e1a4", "key1", "a@b.co", "", "_private", "x".repeat(41)]) assert.not.ok(isFieldName(n), n);
});

test.run();
