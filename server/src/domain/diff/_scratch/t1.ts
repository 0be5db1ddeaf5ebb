import { diffJson } from "../json-diff.js";
import jsonpatch from "fast-json-patch";
const L = { a: 1, "x/y~": 2, items: [{id:1,v:1},{id:2,v:2},{id:3,v:3},{id:4,v:4}], tags:["a","b","c"] };
const R = { a: 2, "x/y~": 2, items: [{id:3,v:3},{id:1,v:1},{id:5,v:5},{id:2,v:20}], tags:["z","a","c","d"], n: null };
const d = diffJson(L, R, { arrayMatchKey: "id" });
console.log(JSON.stringify(d, null, 1));
const out = jsonpatch.applyPatch(structuredClone(L), d.patch as any).newDocument;
console.log(JSON.stringify(out) === JSON.stringify(R), JSON.stringify(out));
