import { diffJson } from "../json-diff.js";
let t = performance.now();
const left = Array.from({ length: 6000 }, (_, i) => i);
const right = Array.from({ length: 6000 }, (_, i) => (i % 2 === 0 ? -i - 1 : i));
diffJson(left, right);
console.log("positional 6000", performance.now() - t); t = performance.now();
const l2 = Array.from({ length: 2000 }, (_, i) => ({ id: `p${i}`, title: `Product ${i}` }));
diffJson(l2, [...l2].reverse(), { arrayMatchKey: "id" });
console.log("reverse 2000", performance.now() - t);
