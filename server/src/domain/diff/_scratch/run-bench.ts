import { bench } from "../../../../../bench/diff-bench.js";
import { formatRow } from "../../../../../bench/report.js";
const t0 = performance.now();
await bench.run((r) => console.log(formatRow(r)));
console.log("total", ((performance.now() - t0) / 1000).toFixed(1), "s");
