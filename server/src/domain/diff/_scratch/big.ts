import { catalogPair } from "../../../../../bench/diff-bench.js";
import { compare } from "../index.js";
import { preview } from "../../preview/index.js";
const { left, right } = catalogPair(8200, 0.01);
const l = new TextEncoder().encode(left), r = new TextEncoder().encode(right);
for (const format of ["JSON", "UNIFIED", "WORD", "HTML"] as const) {
  const t = performance.now();
  const res = await compare(l, r, "json", format, { arrayMatchKey: ["id", "sku"] });
  const size = JSON.stringify(res).length;
  console.log(format, (performance.now() - t).toFixed(0), "ms", "result chars", size);
}
const t = performance.now();
const p = await preview(r, "json");
console.log("preview json 20MB", (performance.now() - t).toFixed(0), "ms", p.text.length, p.truncated, p.redactions.length);
