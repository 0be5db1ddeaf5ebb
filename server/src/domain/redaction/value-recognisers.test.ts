import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applySpans } from "./spans.js";
import { isCardNumber, isIban, luhnValid, findValueSpans } from "./value-recognisers.js";

const mask = (s: string) => applySpans(s, findValueSpans(s));
const kinds = (s: string) => [...new Set(mask(s).hits.map((h) => h.reason))];

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

test("card: masked inside prose and inside a longer run of digit groups; other digit runs stay", () => {
  assert.is(
    mask("Paid with 4111 1111 1111 1111 on 2024-05-01, order 4222222222222, total 1299.00").text,
    "Paid with [REDACTED:card] on 2024-05-01, order 4222222222222, total 1299.00",
  );
  assert.is(mask("ref 7 4111 1111 1111 1111 12 25").text, "ref 7 [REDACTED:card] 12 25");
  assert.is(mask("card-5555555555554444-x").text, "card-[REDACTED:card]-x");
  assert.is(mask("SKU-000001-01 and 1234 5678 9012 3456").text, "SKU-000001-01 and 1234 5678 9012 3456"); // fails Luhn
});

test("IBAN: checksum and national format checked (ibantools); electronic and print forms", () => {
  assert.ok(isIban("DE89370400440532013000"));
  assert.ok(isIban("GB82 WEST 1234 5698 7654 32"));
  assert.not.ok(isIban("DE89370400440532013001")); // checksum
  assert.is(mask("pay to DE89 3704 0044 0532 0130 00 today").text, "pay to [REDACTED:iban] today");
  assert.is(mask("IBAN:GB82WEST12345698765432.").text, "IBAN:[REDACTED:iban].");
  assert.is(mask("DE89 3704 0044 0532 0130 00 EUR").text, "[REDACTED:iban] EUR");
  assert.is(mask("DE00 3704 0044 0532 0130 00").text, "DE00 3704 0044 0532 0130 00");
});

test("JWT: a signed token is masked", async () => {
  const jwt = await new SignJWT({ sub: "customer-42", email: "a@b.co" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(1_700_000_000)
    .sign(new TextEncoder().encode("a-test-secret-of-sufficient-length"));
  assert.is(mask(`id_token ${jwt}.`).text, "id_token [REDACTED:jwt].");
  assert.equal(kinds(jwt), ["jwt"]);
});

test("PEM: private-key blocks masked line by line, a cut block to the end; certificates stay", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const lines = pem.trimEnd().split("\n").length;
  assert.is(mask(`key:\n${pem}after`).text, `key:\n${Array.from({ length: lines }, () => "[REDACTED:pem]").join("\n")}\nafter`);
  assert.is(mask(`x ${pem.slice(0, 60)}`).text, `x [REDACTED:pem]${"\n[REDACTED:pem]".repeat(pem.slice(0, 60).split("\n").length - 1)}`);
  const pub = publicKey.export({ type: "spki", format: "pem" }).toString();
  assert.is(mask(pub).text, pub);
  // JSON-escaped newlines (raw text of a JSON document) hold the block on one line.
  const escaped = JSON.stringify({ k: pem }).slice(6, -2);
  assert.is(mask(`"k": "${escaped}", "next": 1`).text, '"k": "[REDACTED:pem]\\n", "next": 1');
});

test("URL userinfo: masked whatever the scheme; the host stays; @ in a password; JSON-escaped slashes", () => {
  assert.is(mask("postgres://admin:s3cr3tpw@db:5432/x").text, "postgres://[REDACTED:userinfo]@db:5432/x");
  assert.is(mask("mongodb+srv://admin:p@ss@cluster0.example.net/db").text, "mongodb+srv://[REDACTED:userinfo]@cluster0.example.net/db");
  assert.is(mask("https://ghp_token@github.com/org/repo").text, "https://[REDACTED:userinfo]@github.com/org/repo");
  assert.is(mask("redis://:pw123456@cache.example.com:6379").text, "redis://[REDACTED:userinfo]@cache.example.com:6379");
  assert.is(mask("postgres:\\/\\/u:pw@db.example.com\\/x").text, "postgres:\\/\\/[REDACTED:userinfo]@db.example.com\\/x");
  assert.is(mask("https://example.com/users/@handle").text, "https://example.com/users/@handle");
});

test("auth headers: Bearer and Basic credentials; prose is left alone", () => {
  assert.is(mask("Authorization: Bearer abc.DEF-123_xyz").text, "Authorization: Bearer [REDACTED:auth]");
  assert.is(mask("curl -H 'authorization: bearer 0123456789abcdef'").text, "curl -H 'authorization: bearer [REDACTED:auth]'");
  assert.is(mask("Basic YWxhZGRpbjpvcGVuc2VzYW1l").text, "Basic [REDACTED:auth]"); // aladdin:opensesame
  assert.is(mask("Basic dTpw").text, "Basic [REDACTED:auth]"); // u:p
  assert.is(mask("Bearer bonds and Basic information, Token holders").text, "Bearer bonds and Basic information, Token holders");
});

test("provider API keys", () => {
  const keys = [
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAY34FZKBOKMUTVV7A",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "GOCSPX-abcdefghijklmnopqrstuvwxyz12",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "glpat-abcdefghij0123456789",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_51HxYzAbCdEfGhIjKlMn",
    "rk_test_abcdefghijklmnop",
    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
    "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "shpat_0123456789abcdef0123456789abcdef",
    "hvs.CAESIabcdefghijklmnopqrstuvwxyz",
    "vk_0123456789abcdef0123_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
  ];
  for (const k of keys) assert.is(mask(`key=${k};`).text, "key=[REDACTED:apikey];", k);
  assert.is(mask("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX").text, "https://hooks.slack.com/services/[REDACTED:apikey]");
  assert.is(mask("sku sk-1234 and AKIA-short").text, "sku sk-1234 and AKIA-short");
});

test("email and phone", () => {
  assert.is(mask("Contact jane.doe+shop@example.co.uk or @handle, not user@localhost").text, "Contact [REDACTED:email] or @handle, not user@localhost");
  assert.is(
    mask("Call +33 1 42 68 53 00, (555) 123-4567 or 555.123.4567. Ships 2024-05-01, €19.99, SKU-000001-01, v1.2.3").text,
    "Call [REDACTED:phone], [REDACTED:phone] or [REDACTED:phone]. Ships 2024-05-01, €19.99, SKU-000001-01, v1.2.3",
  );
});

test("nothing recognised: the same string comes back", () => {
  const s = "Linen shirt — Crème, 限定 👟, 42 cm, ratio 3:4, https://example.com/a?b=c";
  const r = mask(s);
  assert.is(r.text, s);
  assert.equal(r.hits, []);
});

test.run();
