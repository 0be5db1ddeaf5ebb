import { create } from "jsondiffpatch";
import { format } from "jsondiffpatch/formatters/jsonpatch";
import jsonpatch from "fast-json-patch";
import { catalogPair } from "../../../../../bench/diff-bench.js";
import { diffJson } from "../json-diff.js";
const n = Number(process.argv[2]);
const { left, right } = catalogPair(n, 0.01);
const L = JSON.parse(left), R = JSON.parse(right);
// shift: remove the first product, move product 10 to the end, insert a new one in the middle
R.products.shift(); R.products.push(R.products.splice(10, 1)[0]); R.products.splice(n >> 1, 0, { id: "prod_new", variants: [] });
const dp = create({ objectHash: (o: any, i?: number) => o?.id ?? o?.sku ?? `$$index:${i}`, arrays: { detectMove: true }, textDiff: { minLength: 1e9 } });
let t0 = performance.now();
const delta = dp.diff(L, R);
const t1 = performance.now();
let ok = "n/a"; let nops = -1;
try { const ops = format(delta as any); nops = ops.length; ok = String(JSON.stringify(jsonpatch.applyPatch(structuredClone(L), ops as any).newDocument) === JSON.stringify(R)); } catch (e) { ok = "throws: " + (e as Error).message.slice(0, 80); }
const t2 = performance.now();
const mine = diffJson(L, R, { arrayMatchKey: ["id", "sku"] });
const t3 = performance.now();
const ok2 = JSON.stringify(jsonpatch.applyPatch(structuredClone(L), mine.patch as any).newDocument) === JSON.stringify(R);
console.log(`n=${n} jsondiffpatch.diff=${(t1-t0).toFixed(0)}ms ops=${nops} applies=${ok} | diffJson=${(t3-t2).toFixed(0)}ms ops=${mine.patch.length} applies=${ok2}`);
