import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_KEY_PATTERNS, keyMatcher } from "./key-patterns.js";

const isSecret = keyMatcher(DEFAULT_KEY_PATTERNS);

test("default patterns match credential, contact and payment keys in any case or separator style", () => {
  const keys = [
    "password", "Password", "user_password", "passwd", "passphrase", "pwd", "db_pwd",
    "secret", "client_secret", "token", "access_token", "refreshToken",
    "api_key", "apiKey", "API-KEY", "x-api-key", "apikey", "access_key_id", "private_key",
    "Authorization", "credentials", "cookie", "session_id",
    "email", "customer_email", "phone", "phone_number", "telephone",
    "card", "credit_card", "card_number", "cardNo", "creditCardNumber", "cvv", "cvc",
    "iban", "ssn", "SSN", "social_security_number", "tax_id", "passport_number",
  ];
  assert.equal(keys.filter((k) => !isSecret(k)), []);
});

test("ordinary catalog keys are not secrets", () => {
  const keys = ["id", "sku", "title", "description", "author", "classname", "barcode", "card_design", "scorecard", "price", "tags", "handle", "vendor", "updated_at"];
  assert.equal(keys.filter(isSecret), []);
});

test("custom patterns replace the defaults; spreading the defaults extends them", () => {
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
  assert.ok(g("pin") && g("PIN") && g("pin"));
});

test.run();
