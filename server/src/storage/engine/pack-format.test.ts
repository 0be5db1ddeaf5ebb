import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { noise } from "./engine-test-support.js";
import {
  PACK_FOOTER_BYTES,
  PACK_HEADER_BYTES,
  PACK_INDEX_ENTRY_BYTES,
  type PackEntry,
  PackFormatError,
  decodePackFooter,
  decodePackIndex,
  encodePackFooter,
  encodePackHeader,
  encodePackIndex,
  packIdFromKey,
  packKey,
} from "./pack-format.js";

const entries: PackEntry[] = [
  { digest: digestOf(noise(10, 1)), offset: 8, length: 100, plainSize: 400, codec: "zstd", encrypted: true },
  { digest: digestOf(noise(10, 2)), offset: 108, length: 50, plainSize: 50, codec: "raw", encrypted: false },
];
const indexOffset = 158;

function build() {
  const index = encodePackIndex(entries);
  const footer = encodePackFooter(indexOffset, index);
  return { index, footer, size: indexOffset + index.length + PACK_FOOTER_BYTES };
}

test("index and footer round-trip", () => {
  const { index, footer, size } = build();
  assert.is(index.length, 2 * PACK_INDEX_ENTRY_BYTES);
  assert.is(footer.length, PACK_FOOTER_BYTES);
  const f = decodePackFooter(footer, size);
  assert.equal({ ...f, indexSha256: undefined }, { indexOffset, indexLength: index.length, entryCount: 2, indexSha256: undefined });
  const back = decodePackIndex(index, f);
  assert.equal(
    back.map((e) => ({ ...e, digest: e.digest.toHex() })),
    entries.map((e) => ({ ...e, digest: e.digest.toHex() })),
  );
  assert.equal(Buffer.from(encodePackHeader()).subarray(0, 4).toString(), "VPAK");
  assert.is(encodePackHeader().length, PACK_HEADER_BYTES);
});

test("a damaged footer or index is a PackFormatError", () => {
  const { index, footer, size } = build();
  const flip = (b: Uint8Array, i: number) => {
    const c = Uint8Array.from(b);
    c[i] ^= 1;
    return c;
  };
  assert.throws(() => decodePackFooter(flip(footer, 60), size), (e: unknown) => e instanceof PackFormatError); // magic
  assert.throws(() => decodePackFooter(flip(footer, 51), size), (e: unknown) => e instanceof PackFormatError); // version
  assert.throws(() => decodePackFooter(flip(footer, 39), size), (e: unknown) => e instanceof PackFormatError); // index offset
  assert.throws(() => decodePackFooter(footer, size + 1), (e: unknown) => e instanceof PackFormatError); // size mismatch
  assert.throws(() => decodePackFooter(footer.subarray(1), size), (e: unknown) => e instanceof PackFormatError);
  const f = decodePackFooter(footer, size);
  assert.throws(() => decodePackIndex(flip(index, 3), f), /checksum/);
  assert.throws(() => decodePackIndex(index.subarray(1), f), /truncated/);
  // A checksum-consistent index whose entry points past the records is still rejected.
  const bad = encodePackIndex([{ ...entries[1], length: 1000 }]);
  assert.throws(() => decodePackIndex(bad, decodePackFooter(encodePackFooter(indexOffset, bad), indexOffset + bad.length + 64)), /entry 0/);
});

test("pack keys spread by the first two hex digits and parse back", () => {
  const id = "ab" + "0".repeat(30);
  assert.is(packKey("store-1", id), `packs/store-1/ab/${id}`);
  assert.is(packIdFromKey(`packs/store-1/ab/${id}`), id);
  assert.is(packIdFromKey(`packs/store-1/ac/${id}`), undefined);
  assert.is(packIdFromKey(`packs/store-1/ab/${id}.tmp`), undefined);
  assert.throws(() => packKey("store-1", "xyz"), (e: unknown) => e instanceof TypeError);
  assert.throws(() => packKey("a/b", id), (e: unknown) => e instanceof TypeError);
  assert.throws(() => packKey("..", id), (e: unknown) => e instanceof TypeError);
});

test.run();
