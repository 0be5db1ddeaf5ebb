import { test } from "uvu";
import * as assert from "uvu/assert";
import { computeManifestChunks, toManifestChunks } from "./chunk-summary.js";
import { looksLikeTar, looksLikeText } from "./content.js";
import { makeTar } from "../diff/testing/make-tar.js";
import { digestOf } from "../digest.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

test("looksLikeText: UTF-8 without NUL; a head may end inside a character, a whole content may not", () => {
  assert.ok(looksLikeText(utf8("price: 12 €\n"), true));
  assert.ok(looksLikeText(new Uint8Array(0), true));
  const cut = utf8("total 12 ").length;
  const head = utf8("total 12 €").subarray(0, cut + 2); // two of the euro sign's three bytes
  assert.ok(looksLikeText(head, false));
  assert.not.ok(looksLikeText(head, true));
  assert.not.ok(looksLikeText(new Uint8Array([0x61, 0x00, 0x62]), false));
  assert.not.ok(looksLikeText(new Uint8Array([0xff, 0xfe, 0x41]), false));
});

test("looksLikeTar: a ustar header, not text that happens to be long", async () => {
  assert.ok(looksLikeTar(await makeTar([{ name: "a.txt", content: "a" }])));
  assert.not.ok(looksLikeTar(utf8("x".repeat(1000))));
  assert.not.ok(looksLikeTar(new Uint8Array(100)));
});

test("computeManifestChunks: contiguous chunks covering the content, the same however the stream is split", async () => {
  const data = new Uint8Array(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  async function* pieces(size: number) {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  }
  const whole = await computeManifestChunks(pieces(data.length), { minSize: 2048, avgSize: 8192, maxSize: 32768 });
  const split = await computeManifestChunks(pieces(1000), { minSize: 2048, avgSize: 8192, maxSize: 32768 });
  const plain = (cs: typeof whole) => cs.map((c) => ({ ...c, digest: String(c.digest) }));
  assert.equal(plain(split), plain(whole));
  assert.ok(whole.length > 10);
  let at = 0;
  for (const c of whole) {
    assert.is(c.offset, at);
    assert.is(String(c.digest), digestOf(data.subarray(c.offset, c.offset + c.length)).toHex());
    at += c.length;
  }
  assert.is(at, data.length);
  assert.equal(await computeManifestChunks((async function* () {})()), []);
});

test("toManifestChunks: cumulative offsets from sizes", () => {
  const d = digestOf(utf8("x"));
  assert.equal(toManifestChunks([{ digest: d, size: 3 }, { digest: d, size: 5 }]), [
    { digest: d, offset: 0, length: 3 },
    { digest: d, offset: 3, length: 5 },
  ]);
});

test.run();
