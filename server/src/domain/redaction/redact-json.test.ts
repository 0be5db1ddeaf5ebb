import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { truncateUtf8 } from "../preview/truncate.js";
import { createRedactor } from "./index.js";

const r = createRedactor();
const redact = (doc: unknown, maxArrayItems?: number) => r.json(doc, { maxArrayItems });

test("the reproduced leaks: every element, every member, escaped quotes, URL userinfo", () => {
  const doc = JSON.parse(
    '{"refresh_tokens":["rt_first","rt_second_5e6f7a"],"credentials":{"username":"svc","value":"realsecret1"},"password":"hun\\"ter2","db":"postgres://admin:s3cr3tpw@db:5432/x"}',
  ) as unknown;
  const out = redact(doc);
  assert.equal(out.value, {
    refresh_tokens: ["[REDACTED]", "[REDACTED]"],
    credentials: { username: "[REDACTED]", value: "[REDACTED]" },
    password: "[REDACTED]",
    db: "postgres://[REDACTED:userinfo]@db:5432/x",
  });
  assert.equal(out.hits, [
    { path: "/refresh_tokens", reason: "key" },
    { path: "/credentials", reason: "key" },
    { path: "/password", reason: "key" },
    { path: "/db", reason: "userinfo" },
  ]);
});

test("under a sensitive key every shape is masked and the structure kept; null, booleans and \"\" stay", () => {
  const out = redact({ apiKey: 12345, auth: { user: "u", tokens: [1, "two", { x: 3 }], enabled: true, note: null, empty: "" }, id: 7 });
  assert.equal(out.value, {
    apiKey: "[REDACTED]",
    auth: { user: "[REDACTED]", tokens: ["[REDACTED]", "[REDACTED]", { x: "[REDACTED]" }], enabled: true, note: null, empty: "" },
    id: 7,
  });
  assert.equal(redact({ password: null, token: "" }).hits, [], "nothing was masked");
});

test("under a sensitive key, names that are data (tokens or ids used as keys) are masked too", () => {
  const out = redact({ sessions: { "3f9a1c77b2e04d5f": { user: "u1" }, s_88d2e1a4c0f7: { user: "u2" } }, tokens: { primary: "t1" } });
  assert.equal(out.value, {
    sessions: { "[REDACTED]": { user: "[REDACTED]" }, "[REDACTED] (2)": { user: "[REDACTED]" } },
    tokens: { primary: "[REDACTED]" },
  });
});

test("a name written with unicode escapes is read decoded", () => {
  const out = redact(JSON.parse('{"\\u0070assword":"x1","n\\u0061me":"shop"}'));
  assert.equal(out.value, { password: "[REDACTED]", name: "shop" });
});

test("strings go through the text redactor: multi-line .env text, URLs, shapes; other values stay", () => {
  const out = redact({
    config: "DB_HOST=db\nDB_PASSWORD=s3cr3t\nexport API_TOKEN='abc'",
    contact: "write to zoe@example.com",
    loyalty: 5555555555554444,
    big: 6250941006528599123,
    barcode: 4006381333931,
    title: "Chair",
    tags: ["a", "b"],
  });
  assert.equal(out.value, {
    config: "DB_HOST=db\nDB_PASSWORD=[REDACTED]\nexport API_TOKEN='[REDACTED]'",
    contact: "write to [REDACTED:email]",
    loyalty: "[REDACTED:card]",
    big: "[REDACTED:card]",
    barcode: 4006381333931,
    title: "Chair",
    tags: ["a", "b"],
  });
});

test("member names that are recognised values are masked; two that collide stay distinct", () => {
  const out = redact({ "a@example.com": 1, "b@example.com": 2, plain: 3 });
  assert.equal(out.value, { "[REDACTED:email]": 1, "[REDACTED:email] (2)": 2, plain: 3 });
  assert.equal(out.hits, [
    { path: "/[REDACTED:email]", reason: "email" },
    { path: "/[REDACTED:email] (2)", reason: "email" },
  ]);
});

test("arrays are elided after maxArrayItems, under sensitive keys too", () => {
  const out = redact({ tokens: ["a", "b", "c"], ids: [1, 2, 3] }, 2);
  assert.equal(out.value, { tokens: ["[REDACTED]", "[REDACTED]", "… 1 more item"], ids: [1, 2, "… 1 more item"] });
  assert.ok(out.elided);
});

test("maxOutputChars: past what can be shown, open arrays and objects are elided", () => {
  const out = r.json({ list: Array.from({ length: 10_000 }, (_, i) => `item ${i}`), after: 1 }, { maxOutputChars: 100 });
  const v = out.value as { list: string[]; "…"?: string };
  assert.ok(v.list.length < 20);
  assert.is(v.list.at(-1), `… ${10_000 - v.list.length + 1} more items`);
  assert.is(v["…"], "… 1 more member");
  assert.ok(out.elided);
});

test("property: a rendering cut to maxBytes is the same with and without maxOutputChars = maxBytes", () => {
  const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), fc.integer({ min: 1, max: 400 }), (doc, maxBytes) => {
      const whole = truncateUtf8(pretty(r.json(doc).value), maxBytes).text;
      const bounded = truncateUtf8(pretty(r.json(doc, { maxOutputChars: maxBytes }).value), maxBytes).text;
      assert.is(bounded, whole);
    }),
    { numRuns: 500 },
  );
});

test.run();
