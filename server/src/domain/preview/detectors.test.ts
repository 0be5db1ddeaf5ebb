import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isCardNumber, luhnValid, redactValues } from "./detectors.js";

test("luhnValid: known valid and invalid numbers", () => {
  assert.ok(luhnValid("4111111111111111"));
  assert.ok(luhnValid("79927398713"));
  assert.not.ok(luhnValid("4111111111111112"));
  assert.not.ok(luhnValid(""));
});

test("isCardNumber: 15–19 digits, network prefix, Luhn; barcodes are left alone", () => {
  assert.ok(isCardNumber("4111 1111 1111 1111")); // Visa test number
  assert.ok(isCardNumber("5555-5555-5555-4444")); // Mastercard
  assert.ok(isCardNumber("378282246310005")); // Amex, 15 digits
  assert.not.ok(isCardNumber("4111111111111112")); // Luhn fails
  // 13 digits passing Luhn: the length of an EAN-13 barcode, so it is left alone.
  assert.ok(luhnValid("4222222222222"));
  assert.not.ok(isCardNumber("4222222222222"));
  // Passes Luhn, but no card network starts with 9.
  assert.ok(luhnValid("9111111111111110"));
  assert.not.ok(isCardNumber("9111111111111110"));
});

test("card detector masks card numbers inside prose, not other digit runs", () => {
  const r = redactValues("Paid with 4111 1111 1111 1111 on 2024-05-01, order 4222222222222, total 1299.00");
  assert.is(r.text, "Paid with [REDACTED:card] on 2024-05-01, order 4222222222222, total 1299.00");
  assert.equal(r.kinds, ["card"]);
});

test("JWT detector masks a signed token", async () => {
  const jwt = await new SignJWT({ sub: "customer-42", email: "a@b.co" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(1_700_000_000)
    .sign(new TextEncoder().encode("a-test-secret-of-sufficient-length"));
  const r = redactValues(`Authorization: Bearer ${jwt}`);
  assert.is(r.text, "Authorization: Bearer [REDACTED:jwt]");
  assert.equal(r.kinds, ["jwt"]);
});

test("PEM detector masks whole blocks, and an unterminated block to the end", () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const r = redactValues(`key:\n${pem}after`);
  assert.is(r.text, "key:\n[REDACTED:pem]\nafter");
  const cut = redactValues(`x ${pem.slice(0, 60)}`);
  assert.is(cut.text, "x [REDACTED:pem]");
});

test("email detector", () => {
  const r = redactValues("Contact jane.doe+shop@example.co.uk or @handle, not user@localhost");
  assert.is(r.text, "Contact [REDACTED:email] or @handle, not user@localhost");
});

test("phone detector: international and North American forms; dates, prices and SKUs are left alone", () => {
  const r = redactValues("Call +33 1 42 68 53 00, (555) 123-4567 or 555.123.4567. Ships 2024-05-01, €19.99, SKU-000001-01, v1.2.3");
  assert.is(r.text, "Call [REDACTED:phone], [REDACTED:phone] or [REDACTED:phone]. Ships 2024-05-01, €19.99, SKU-000001-01, v1.2.3");
  assert.equal(r.kinds, ["phone"]);
});

test("nothing detected: the same string comes back", () => {
  const s = "Linen shirt — Crème, 限定 👟";
  const r = redactValues(s);
  assert.is(r.text, s);
  assert.equal(r.kinds, []);
});

test.run();
