/**
 * `npm run bench`: runs every benchmark module in turn and prints its figures, each with the
 * baseline measured in the same run and the ratio. Optional arguments pick modules by name
 * substring (e.g. `npm run bench -- transfer`).
 */
import { formatRow, type BenchModule } from "./report.js";

const modules: Record<string, () => Promise<{ bench: BenchModule }>> = {
  batch: () => import("./batch-create-bench.js"),
  chunk: () => import("./chunk-bench.js"),
  concurrency: () => import("./concurrency-bench.js"),
  diff: () => import("./diff-bench.js"),
  export: () => import("./export-bench.js"),
  index: () => import("./index-bench.js"),
  metadata: () => import("./metadata-bench.js"),
  pipeline: () => import("./pipeline-bench.js"),
  search: () => import("./search-bench.js"),
  transfer: () => import("./transfer-bench.js"),
};

const pick = process.argv.slice(2);
console.log(`node ${process.version}, ${(await import("node:os")).cpus().length} cpus`);
for (const [name, load] of Object.entries(modules)) {
  if (pick.length && !pick.some((p) => name.includes(p))) continue;
  const { bench } = await load();
  console.log(`\n## ${bench.title}`);
  const t0 = performance.now();
  await bench.run((row) => console.log(formatRow(row)));
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
process.exit(0);
