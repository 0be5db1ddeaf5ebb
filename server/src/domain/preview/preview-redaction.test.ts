import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTar } from "../diff/testing/make-tar.js";
import { MAX_LISTED_REDACTIONS, preview, renderPreview, type Preview } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);
/** Everything a preview returns, as one string to search. */
const everything = (p: Preview) => JSON.stringify(p);

const LEAKS =
  '{"refresh_tokens":["rt_first","rt_second_5e6f7a"],"credentials":{"username":"svc","value":"realsecret1"},"password":"hun\\"ter2","db":"postgres://admin:s3cr3tpw@db:5432/x","sku":"SKU-1"}';
const LEAKED = ["rt_first", "rt_second_5e6f7a", "realsecret1", "ter2", "hun", "s3cr3tpw", "admin:"];

test("the reproduced leaks are masked in every kind, every output field and every cut of the head", async () => {
  const outputs: Preview[] = [await preview(enc(LEAKS), "json"), await preview(enc(LEAKS), "text")];
  for (let at = 1; at < LEAKS.length; at += 3) outputs.push(renderPreview({ kind: "text", head: enc(LEAKS.slice(0, at)), complete: false }, LEAKS.length));
  outputs.push(await preview(enc(LEAKS), "binary"));
  const tar = await makeTar([{ name: "dumps/postgres://admin:s3cr3tpw@db:5432/x/dump.sql", content: "x" }, { name: "current", type: "symlink", linkname: "dumps/token=rt_first" }]);
  outputs.push(await preview(tar, "tar"));
  for (const p of outputs) for (const s of LEAKED) assert.not.ok(everything(p).includes(s), `${s} in ${p.kind}: ${p.text}`);
  // And stay useful: what is not secret is still shown.
  for (const p of outputs.slice(0, 2)) assert.ok(p.text.includes("SKU-1") && p.text.includes("@db:5432/x"));
});

test("a text preview of JSON is rendered from the redacted document, with JSON Pointer paths", async () => {
  const p = await preview(enc(LEAKS), "text");
  assert.is(p.kind, "text");
  assert.is(p.mediaType, "text/plain");
  assert.fixture(
    p.text,
    `${JSON.stringify(
      {
        refresh_tokens: ["[REDACTED]", "[REDACTED]"],
        credentials: { username: "[REDACTED]", value: "[REDACTED]" },
        password: "[REDACTED]",
        db: "postgres://[REDACTED:userinfo]@db:5432/x",
        sku: "SKU-1",
      },
      null,
      2,
    )}\n`,
  );
  assert.equal(p.redactedPaths, ["/refresh_tokens", "/credentials", "/password", "/db"]);
  // The same for the text preview of the first lines of a larger document.
  const head = renderPreview({ kind: "text", head: enc(LEAKS.slice(0, LEAKS.indexOf(',"sku"'))), complete: false }, 10_000);
  const { sku: _, ...before } = JSON.parse(p.text) as Record<string, unknown>;
  assert.equal(JSON.parse(head.text), before);
  assert.ok(head.truncated);
  assert.equal(head.notes, ["JSON shown up to the last whole value before the cut; open arrays and objects are closed"]);
});

test("JSON lines and logs: JSON lines redacted as documents; untouched lines stay byte for byte", async () => {
  const text = ['{"event": "login", "user": "u1"}', '{"event":"token","token":"abc123", "n": [1, 2]}', "plain API_TOKEN=xyz line", "{not json: password=pw1}"].join("\n");
  const p = await preview(enc(text), "text");
  assert.equal(p.text.split("\n"), [
    '{"event": "login", "user": "u1"}',
    '{"event":"token","token":"[REDACTED]","n":[1,2]}',
    "plain API_TOKEN=[REDACTED] line",
    "{not json: password=[REDACTED]}",
  ]);
  assert.equal(p.redactedPaths, ["line:2", "line:3", "line:4"]);
});

test("a cut text head leaves out its partial last line, so a secret crossing the cut is never shown in part", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXN0b21lci00MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
  const text = `first line\nid_token ${jwt}\n`;
  for (let at = text.indexOf(jwt) + 1; at < text.length - 1; at++) {
    const p = renderPreview({ kind: "text", head: enc(text.slice(0, at)), complete: false }, 1000);
    assert.is(p.text, "first line\n");
    assert.ok(p.truncated);
  }
  const one = renderPreview({ kind: "text", head: enc(`prefix ${jwt.slice(0, 30)}`), complete: false }, 1000);
  assert.is(one.text, "prefix ");
});

test("JSON nested deeper than the limit is shown to the limit and marked, in bounded time and memory", async () => {
  const n = 1_000_000;
  const doc = enc(`{"a": ${"[".repeat(n)}${"]".repeat(n)}, "password": "pw-deep-1"}`);
  for (const kind of ["json", "text"] as const) {
    const p = await preview(doc, kind, { maxBytes: 1024 * 1024, maxLines: 1000 });
    assert.ok(p.text.includes("… nested too deep"), kind);
    assert.ok(p.truncated, kind);
    assert.not.ok(p.text.includes("pw-deep-1"), kind);
  }
});

test("at most MAX_LISTED_REDACTIONS redactions are listed; the rest are counted in a note", async () => {
  const doc = JSON.stringify(Array.from({ length: MAX_LISTED_REDACTIONS + 5 }, (_, i) => ({ password: `p${i}` })));
  const p = await preview(enc(doc), "json", { maxArrayItems: 100_000 });
  assert.is(p.redactions.length, MAX_LISTED_REDACTIONS);
  assert.equal(p.notes, ["5 more masked values are not listed"]);
});

test.run();
