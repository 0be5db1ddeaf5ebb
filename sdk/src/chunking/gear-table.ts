/**
 * The FastCDC gear table: 256 pseudo-random 32-bit words, one per byte value.
 *
 * FORMAT GUARD: the table decides where chunk boundaries fall, so it is part of Vellum's storage
 * format. Changing it (the seed, the generator or the word order) moves every boundary, silently
 * destroys dedup between old and new snapshots and between SDK and server. Never change it; a
 * different table needs a new chunker version. gear-table.test.ts pins its SHA-256.
 *
 * Generation: mulberry32 (Tommy Ettinger's 32-bit generator) seeded with GEAR_SEED (the ASCII bytes
 * "VELL" read big-endian); entry i is the (i+1)-th output, i = 0..255. One step:
 *
 *   a = (a + 0x6d2b79f5) | 0
 *   t = imul(a ^ (a >>> 15), 1 | a)
 *   t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t
 *   out = (t ^ (t >>> 14)) >>> 0
 *
 * Pure TypeScript, no platform imports: the browser/Node SDK and the server share this file.
 */

/** Seed of the gear table generator: "VELL". Part of the format; never change. */
export const GEAR_SEED = 0x56454c4c;

let table: Uint32Array | undefined;

/** The 256-entry gear table, computed on first use and shared afterwards. Do not mutate it. */
export function gearTable(): Uint32Array {
  if (table === undefined) table = generateGearTable(GEAR_SEED);
  return table;
}

/** Runs the documented generator; exported for the format test. */
export function generateGearTable(seed: number): Uint32Array {
  const out = new Uint32Array(256);
  let a = seed | 0;
  for (let i = 0; i < 256; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}
