import { catalogPair } from "../../../../../bench/diff-bench.js";
import { diffJson } from "../json-diff.js";
const { left, right } = catalogPair(8200, 0.01);
for (let i = 0; i < 6; i++) {
  const L = JSON.parse(left), R = JSON.parse(right);
  const t = performance.now();
  diffJson(L, R, { arrayMatchKey: ["id", "sku"] });
  console.log("diffJson only", (performance.now() - t).toFixed(0));
}
