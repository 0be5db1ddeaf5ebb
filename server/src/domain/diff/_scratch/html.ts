import { readFileSync, writeFileSync } from "node:fs";
import { compare } from "../index.js";
const d = "server/src/domain/diff/testdata/";
const r = await compare(readFileSync(d + "catalog-left.json"), readFileSync(d + "catalog-right.json"), "json", "HTML", {
  arrayMatchKey: ["id", "sku"], ignorePaths: ["/updated_at", "/products/*/variants/*/sync_time"], leftName: "catalog.json", title: "Catalog <v1> vs <v2>" });
if (r.format === "HTML") writeFileSync("/tmp/scratch/expected.html", r.html);
