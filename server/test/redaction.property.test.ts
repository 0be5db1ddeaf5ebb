/**
 * Property tests of preview redaction: secrets planted at random depths and in random forms
 * (sensitive keys over every value shape, escaped quotes, unicode-escaped names, arrays, nested
 * objects, multi-line strings, .env / YAML / log text, URLs with userinfo, tokens, keys, cards,
 * IBANs, e-mail, phones) never appear, even in part, in any preview kind or output field, for any
 * byte limit or cut of the content. The previews also stay useful: JSON keeps its shape and what
 * is not secret stays visible.
 */
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import { preview, renderPreview, textHeadBytes, type Preview, type PreviewKind } from "../src/domain/preview/index.js";
import { leakedWindow, plantedJson, plantedTarNames, plantedText, serializeJson } from "./support/planted-secrets.js";

const enc = (s: string) => new TextEncoder().encode(s);
const LARGE = { maxBytes: 1024 * 1024, maxLines: 1_000_000, maxArrayItems: 100_000 };
const maxBytesArb = fc.oneof(fc.constant(64 * 1024), fc.integer({ min: 1, max: 4096 }));

function assertNoLeak(p: Preview, cores: readonly string[], what: string) {
  const leak = leakedWindow(JSON.stringify(p), cores);
  assert.is(leak, undefined, `${what}: ${leak}\n${p.text}`);
}

/** Every preview of `bytes` a client can ask for, including text previews of heads cut at `cutAt`. */
async function allPreviews(bytes: Uint8Array, maxBytes: number, cutAt: number): Promise<[string, Preview][]> {
  const out: [string, Preview][] = [];
  for (const kind of ["json", "text", "binary"] as PreviewKind[]) out.push([kind, await preview(bytes, kind, { maxBytes })]);
  const at = cutAt % (bytes.length + 1);
  out.push([`text head of ${at} bytes`, renderPreview({ kind: "text", head: bytes.subarray(0, at), complete: false }, bytes.length + 1, { maxBytes })]);
  const limit = textHeadBytes(maxBytes);
  out.push(["text head at the read limit", renderPreview({ kind: "text", head: bytes.subarray(0, limit), complete: bytes.length <= limit }, bytes.length, { maxBytes })]);
  return out;
}

/**
 * The shape of a JSON value: member names in order and array lengths, leaves as 0. Names that are
 * data (a token used as a key) and masked names read "*".
 */
const shapeOf = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(shapeOf)
    : v !== null && typeof v === "object"
      ? Object.entries(v).map(([k, x]) => [/\d/.test(k) || k.startsWith("[REDACTED") ? "*" : k, shapeOf(x)])
      : 0;

test("property: JSON documents (compact, pretty, unicode-escaped) leak no planted secret in any preview", async () => {
  await fc.assert(
    fc.asyncProperty(plantedJson, fc.constantFrom(0, 2), fc.constantFrom(0, 3, 7), maxBytesArb, fc.nat(), async ({ doc, cores }, indent, escapeEvery, maxBytes, cutAt) => {
      const bytes = enc(serializeJson(doc, { indent, escapeEvery }));
      for (const [what, p] of await allPreviews(bytes, maxBytes, cutAt)) assertNoLeak(p, cores, what);
    }),
    { numRuns: 1500 },
  );
});

test("property: JSON previews keep the document's shape and show what is not secret", async () => {
  await fc.assert(
    fc.asyncProperty(plantedJson, async ({ doc, canary }) => {
      const bytes = enc(JSON.stringify(doc));
      const p = await preview(bytes, "json", LARGE);
      assert.not.ok(p.truncated);
      assert.equal(shapeOf(JSON.parse(p.text)), shapeOf(doc));
      assert.ok(p.text.includes(`"colour": "${canary}"`), "the canary is visible");
      assert.ok(p.redactions.length > 0);
      const t = await preview(bytes, "text", LARGE);
      assert.is(t.text, p.text, "a text preview of JSON renders the same redacted document");
    }),
    { numRuns: 300 },
  );
});

test("property: .env, YAML and log text leaks no planted secret in any preview; other lines stay", async () => {
  await fc.assert(
    fc.asyncProperty(plantedText, maxBytesArb, fc.nat(), async ({ doc, cores, canary }, maxBytes, cutAt) => {
      const bytes = enc(doc);
      for (const [what, p] of await allPreviews(bytes, maxBytes, cutAt)) assertNoLeak(p, cores, what);
      const full = await preview(bytes, "text", LARGE);
      assert.ok(full.text.startsWith(`COLOUR=${canary}\n`), "the canary line is visible");
      assert.is(full.text.split("\n").length, doc.split("\n").length, "masking keeps the line count");
    }),
    { numRuns: 1500 },
  );
});

test("property: tar member names and link targets leak no planted secret", async () => {
  await fc.assert(
    fc.asyncProperty(plantedTarNames, async ({ names, links, cores }) => {
      const tar = await makeTar([
        { name: "catalog/", type: "directory", mode: 0o755 },
        ...names.map((name) => ({ name, content: "x" })),
        ...links.map((linkname, i) => ({ name: `link-${i}`, type: "symlink" as const, linkname })),
      ]);
      const p = await preview(tar, "tar");
      assertNoLeak(p, cores, "tar");
      assert.is(p.members?.length, names.length + links.length + 1);
      assert.ok(p.text.includes("catalog/"));
    }),
    { numRuns: 150 },
  );
});

test.run();
