import { catalogPair } from "../../../../../bench/diff-bench.js";
const t0 = performance.now();
const { left, right, changed } = catalogPair(Number(process.argv[2] ?? 9000), 0.01);
console.log(Buffer.byteLength(left)/1e6, Buffer.byteLength(right)/1e6, changed, performance.now()-t0);
