/** Deterministic benchmark data: fast PRNG bytes, JSON-lines records, and a sorted DB-style dump. */

/** xorshift32 filling a buffer in place; ~1 GB/s, so it does not bottleneck transfers. */
export function createNoise(seed = 0x9e3779b9) {
  let x = seed >>> 0 || 1;
  return (buf: Uint8Array) => {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    return buf;
  };
}

const WORDS = "chair lamp table oak walnut steel linen cotton blue green red large small premium eco classic modern vintage".split(" ");

/** `bytes` of JSON lines with varied fields: compresses roughly 3-5x with zstd. */
export function jsonLines(bytes: number, seed = 1): Buffer {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  let i = 0;
  while (at < bytes) {
    const r = rnd();
    const line = `{"id":${i},"sku":"SKU-${(r % 1e7).toString(36)}","name":"${WORDS[r % WORDS.length]} ${WORDS[(r >>> 8) % WORDS.length]}","price":${(r % 100000) / 100},"stock":${(r >>> 4) % 900},"tags":["${WORDS[(r >>> 12) % WORDS.length]}"],"updated":"2026-0${1 + (r % 9)}-1${r % 9}T10:${10 + (r % 49)}:00Z"}\n`;
    at += out.write(line, at);
    i++;
  }
  return out;
}

/** One version of a sorted-records dump of about `bytes`, after `edits` rounds of 1% scattered edits with inserts. */
export function dumpVersion(bytes: number, version: number): Buffer {
  const row = (i: number, r: number) =>
    `${String(i * 10).padStart(10, "0")}\t${WORDS[r % WORDS.length]} ${WORDS[(r >>> 3) % WORDS.length]} ${WORDS[(r >>> 6) % WORDS.length]}\t` +
    `${WORDS[(r >>> 9) % WORDS.length]}\t${(r % 100000) / 100}\t${(r >>> 5) % 997}\tcustomer-${(r >>> 11) % 50000}@example.com\t` +
    `${"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ".slice(0, 30 + (r % 50))}\t2026-01-01`;
  const n = Math.floor(bytes / row(123456, 0x9e3779b9).length);
  let x = 42;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const rows: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    rows[i] = row(i, r);
  }
  // Each later version edits 1% of rows (scattered) and inserts 0.1% new rows, cumulatively.
  for (let v = 1; v < version; v++) {
    let y = 1000 + v;
    const r2 = () => ((y = (y * 1664525 + 1013904223) >>> 0), y);
    for (let k = 0; k < n / 100; k++) {
      const i = r2() % rows.length;
      rows[i] = rows[i].replace(/\t2026-\d\d-\d\d$/, `\t2026-0${v}-1${k % 9}`) + `\tedited-v${v}`;
    }
    for (let k = 0; k < n / 1000; k++) {
      const i = r2() % rows.length;
      rows.splice(i + 1, 0, `${rows[i].slice(0, 10)}5\tinserted\tv${v}\t${k}`);
    }
  }
  return Buffer.from(rows.join("\n") + "\n");
}
