import { catalogPair } from "../../../../../bench/diff-bench.js";
import { diffJson } from "../json-diff.js";
const { left, right } = catalogPair(8200, 0.01);
for (let i = 0; i < 8; i++) {
  const t0 = performance.now();
  const L = JSON.parse(left), R = JSON.parse(right);
  const t1 = performance.now();
  diffJson(L, R, { arrayMatchKey: ["id", "sku"] });
  const t2 = performance.now();
  JSON.parse(left); JSON.parse(right);
  const t3 = performance.now();
  console.log("parse", (t1 - t0).toFixed(0), "diff", (t2 - t1).toFixed(0), "parse-only", (t3 - t2).toFixed(0));
}
