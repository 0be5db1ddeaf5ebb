import { generateKeyPairSync } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTar } from "../diff/testing/make-tar.js";
import { isDomainError } from "../errors.js";
import { DEFAULT_KEY_PATTERNS, preview } from "./index.js";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const bytes = (s: string) => Buffer.byteLength(s, "utf8");

const customer = {
  id: "c-1",
  name: "Zoë Ångström",
  email: "zoe@example.com",
  password: "hunter2",
  "api/key": "k-123",
  payment: { card_number: "4111 1111 1111 1111", holder: "Zoë" },
  notes: "Call +44 20 7946 0958 or write to zoe.a@example.org",
  loyalty: 5555555555554444,
  barcode: 4006381333931,
  empty_token: "",
  phone: null,
};

test("JSON: key patterns and value detectors mask values; paths are JSON Pointers", async () => {
  const p = await preview(enc(customer), "json", { keyPatterns: [...DEFAULT_KEY_PATTERNS, "api/key"] });
  const shown = JSON.parse(p.text);
  assert.equal(shown, {
    id: "c-1",
    name: "Zoë Ångström",
    email: "[REDACTED]",
    password: "[REDACTED]",
    "api/key": "[REDACTED]",
    payment: { card_number: "[REDACTED]", holder: "Zoë" },
    notes: "Call [REDACTED:phone] or write to [REDACTED:email]",
    loyalty: "[REDACTED:card]",
    barcode: 4006381333931,
    empty_token: "",
    phone: null,
  });
  assert.equal(p.redactions, [
    { path: "/email", reason: "key" },
    { path: "/password", reason: "key" },
    { path: "/api~1key", reason: "key" },
    { path: "/payment/card_number", reason: "key" },
    { path: "/notes", reason: "phone" },
    { path: "/notes", reason: "email" },
    { path: "/loyalty", reason: "card" },
  ]);
  assert.equal(p.redactedPaths, ["/email", "/password", "/api~1key", "/payment/card_number", "/notes", "/loyalty"]);
  assert.is(p.kind, "json");
  assert.is(p.mediaType, "application/json");
  assert.not.ok(p.text.includes("hunter2"));
});

test("JSON: everything under a secret key is masked, keeping member names and array lengths", async () => {
  const p = await preview(enc({ credentials: { user: "u", pass: "p", ids: [1, 2] }, ok: 1 }), "json");
  assert.equal(JSON.parse(p.text), { credentials: { user: "[REDACTED]", pass: "[REDACTED]", ids: ["[REDACTED]", "[REDACTED]"] }, ok: 1 });
  assert.equal(p.redactions, [{ path: "/credentials", reason: "key" }]);
});

test("JSON: redact=false shows everything", async () => {
  const p = await preview(enc(customer), "json", { redact: false });
  assert.equal(JSON.parse(p.text), customer);
  assert.equal(p.redactions, []);
});

test("JSON: pretty-printed, long arrays elided with a count, nested too", async () => {
  const doc = { products: Array.from({ length: 25 }, (_, i) => ({ id: i, tags: ["a", "b", "c", "d"] })) };
  const p = await preview(enc(doc), "json", { maxArrayItems: 3 });
  const shown = JSON.parse(p.text) as { products: unknown[] };
  assert.is(shown.products.length, 4);
  assert.is(shown.products[3], "… 22 more items");
  assert.equal(shown.products[0], { id: 0, tags: ["a", "b", "c", "… 1 more item"] });
  assert.ok(p.text.startsWith('{\n  "products": [\n    {\n      "id": 0,'));
  assert.ok(p.truncated);
  const small = await preview(enc({ a: [1, 2] }), "json");
  assert.not.ok(small.truncated);
  assert.is(small.text, '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
});

test("JSON that does not parse is previewed as text, with a note", async () => {
  const p = await preview(enc('{"password": "hunter2", "broken"'), "json");
  assert.is(p.kind, "text");
  assert.is(p.text, '{"password": "[REDACTED]", "broken"');
  assert.equal(p.notes, ["content is not valid UTF-8 JSON; shown as text"]);
});

test("text: first lines only, key=value pairs and detectors masked, line paths", async () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString().trimEnd();
  const env = [
    "# shop config",
    "SHOP_NAME=Maison Élan",
    "DB_PASSWORD=s3cr3t!",
    'api_key: "abc123"',
    "Authorization: Bearer opaque-token-value",
    "contact=ops@example.com",
    pem,
    "GREETING='bonjour'",
    "url=https://x.test/cb?token=abc&lang=fr",
    "last line",
  ].join("\n");
  const pemLines = pem.split("\n").length;
  const p = await preview(enc(env), "text", { maxLines: 9 + pemLines - 1 });
  const lines = p.text.split("\n");
  assert.equal(lines.slice(0, 6), [
    "# shop config",
    "SHOP_NAME=Maison Élan",
    "DB_PASSWORD=[REDACTED]",
    'api_key: "[REDACTED]"',
    "Authorization: [REDACTED]",
    "contact=[REDACTED:email]",
  ]);
  assert.equal(lines.slice(6, 6 + pemLines), Array.from({ length: pemLines }, () => "[REDACTED:pem]"));
  assert.equal(lines.slice(6 + pemLines), ["GREETING='bonjour'", "url=https://x.test/cb?token=[REDACTED]&lang=fr"]);
  assert.ok(p.truncated, "the last line was left out");
  assert.equal(p.redactedPaths, ["line:3", "line:4", "line:5", "line:6", "line:7", `line:${8 + pemLines}`]);
  assert.equal(p.redactions.find((r) => r.path === "line:7"), { path: "line:7", reason: "pem" });
});

test("truncation: at most maxBytes of UTF-8, never inside a character or grapheme", async () => {
  const text = "é👟👩‍👩‍👧x".repeat(50);
  for (const maxBytes of [1, 2, 3, 5, 6, 7, 10, 17, 18, 25, 100, 333]) {
    const p = await preview(enc(text), "text", { maxBytes, redact: false });
    assert.ok(bytes(p.text) <= maxBytes, `${maxBytes}: ${bytes(p.text)} bytes`);
    assert.ok(text.startsWith(p.text));
    assert.not.ok(p.text.includes("\uFFFD"));
    assert.ok(p.truncated);
    // The cut falls between graphemes: the rest of the text starts with a whole unit.
    const rest = text.slice(p.text.length);
    assert.ok(/^(é|👟|👩‍👩‍👧|x)/u.test(rest), `${maxBytes}: cut inside a grapheme`);
  }
  const exact = await preview(enc("abc"), "text", { maxBytes: 3 });
  assert.is(exact.text, "abc");
  assert.not.ok(exact.truncated);
});

test("truncation happens after redaction: a secret crossing the cut is not partly shown", async () => {
  const secret = "4111 1111 1111 1111";
  const body = `${"x".repeat(95)} ${secret} tail`;
  const p = await preview(enc(body), "text", { maxBytes: 105 });
  assert.ok(p.truncated);
  assert.not.ok(/4111|1111/.test(p.text), p.text);
  assert.ok(p.text.endsWith(" [REDACTED"), p.text);
});

test("tar: member list with modes and sizes; names pass through the detectors", async () => {
  const tarBytes = await makeTar([
    { name: "catalog/", type: "directory", mode: 0o755 },
    { name: "catalog/products.json", content: '{"id":1}' },
    { name: "exports/jane@example.com/orders.csv", content: "a,b\n" },
    { name: "current", type: "symlink", linkname: "catalog/products.json" },
  ]);
  const p = await preview(tarBytes, "tar");
  assert.fixture(
    p.text,
    [
      "4 members, 12 bytes",
      "drwxr-xr-x 0 catalog/",
      "-rw-r--r-- 8 catalog/products.json",
      "lrw-r--r-- 0 current -> catalog/products.json",
      "-rw-r--r-- 4 exports/[REDACTED:email]/orders.csv",
      "",
    ].join("\n"),
  );
  assert.equal(p.members?.map((m) => m.name), ["catalog/", "catalog/products.json", "current", "exports/[REDACTED:email]/orders.csv"]);
  assert.equal(p.redactions, [{ path: "member:exports/[REDACTED:email]/orders.csv", reason: "email" }]);
  const cut = await preview(tarBytes, "tar", { maxMembers: 2 });
  assert.ok(cut.truncated);
  assert.ok(cut.text.endsWith("… 2 more members\n"));
});

test("binary: size, digest and sniffed format; hex only without redaction", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x70, 0x77, 0x64]);
  const p = await preview(png, "binary");
  assert.ok(p.text.startsWith("binary, 11 bytes\nsha256 "));
  assert.ok(p.text.includes("format: PNG image"));
  assert.not.ok(p.text.includes("89 50 4e 47"));
  const raw = await preview(png, "binary", { redact: false });
  assert.ok(raw.text.includes("00000000  89 50 4e 47 0d 0a 1a 0a 70 77 64"));
});

test("bad options fail with InvalidArgument", async () => {
  for (const [opts, field] of [[{ maxBytes: 0 }, "max_bytes"], [{ maxArrayItems: -1 }, "max_array_items"], [{ maxLines: 1.5 }, "max_lines"]] as const) {
    try {
      await preview(enc("x"), "text", opts);
      assert.unreachable("should fail");
    } catch (e) {
      assert.ok(isDomainError(e, "InvalidArgument"));
      assert.is(e.details.violations?.[0].field, field);
    }
  }
});

test.run();
