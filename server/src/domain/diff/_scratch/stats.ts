import fc from "fast-check";
import { diffJson } from "../json-diff.js";
import { editedPairArb, jsonArb, keyedPairArb } from "../testing/arbitraries.js";
fc.statistics(keyedPairArb, ([a, b]) => { const d = diffJson(a, b, { arrayMatchKey: ["id", "sku"] }); return Object.entries(d.counts).filter(([, v]) => v > 0).map(([k]) => k).join(",") || "none"; }, { numRuns: 400 });
fc.statistics(editedPairArb, ([a, b]) => { const d = diffJson(a, b); return d.patch.some(p => p.path.split("/").length > 2) ? "nested ops" : d.patch.length === 0 ? "equal" : "top-level only"; }, { numRuns: 400 });
