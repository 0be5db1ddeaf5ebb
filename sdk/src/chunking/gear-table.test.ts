import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GEAR_SEED, gearTable, generateGearTable } from "./gear-table.js";

// FORMAT GUARD: these values were computed once from the documented generator. If this test fails
// the gear table changed, which moves every chunk boundary; fix the change, never the golden.
test("gear table is the pinned mulberry32('VELL') table", () => {
  const g = gearTable();
  assert.is(g.length, 256);
  assert.is(GEAR_SEED, 0x56454c4c);
  assert.equal(Array.from(g.slice(0, 4)), [0x8cf417f5, 0xae408f46, 0x80f1ee1a, 0x728eb198]);
  const le = new Uint8Array(256 * 4);
  const view = new DataView(le.buffer);
  g.forEach((w, i) => view.setUint32(i * 4, w, true));
  assert.is(
    createHash("sha256").update(le).digest("hex"),
    "655a1ac1383e608a05637f2cfb5cba3b6349af4e42b2a4274d9776de81a1ab1a",
  );
});

test("gear table is shared and regenerates identically", () => {
  assert.ok(gearTable() === gearTable());
  assert.equal(Array.from(generateGearTable(GEAR_SEED)), Array.from(gearTable()));
  assert.not.equal(Array.from(generateGearTable(GEAR_SEED + 1)), Array.from(gearTable()));
});

test("gear table entries are distinct and use the whole 32-bit range", () => {
  const g = gearTable();
  assert.is(new Set(g).size, 256);
  let ones = 0;
  for (const w of g) for (let b = 0; b < 32; b++) ones += (w >>> b) & 1;
  // A balanced table has about half of its 8192 bits set.
  assert.ok(ones > 3900 && ones < 4300, `bits set: ${ones}`);
});

test.run();
