/**
 * BatchCreateSnapshots against single CreateSnapshot calls through the real server: the same small
 * JSON snapshots (the search corpus), created one per call with SINGLE_IN_FLIGHT calls in flight,
 * and 1000 per batch call. Reported as snapshots per second and the ratio.
 */
import { buildCorpus } from "../server/test/support/search-corpus.js";
import { startCatalogServer } from "./catalog-server.js";
import type { BenchModule, Report } from "./report.js";

const SINGLES = Number(process.env.BENCH_BATCH_SINGLES) || 2000;
const BATCHED = Number(process.env.BENCH_BATCH_ITEMS) || 10_000;
const SINGLE_IN_FLIGHT = 16;
const BATCH_SIZE = 1000;

export const bench: BenchModule = {
  title: "Batch ingestion: BatchCreateSnapshots vs CreateSnapshot (real server, gRPC on loopback)",
  async run(report: Report) {
    const server = await startCatalogServer();
    try {
      const items = buildCorpus(Math.max(SINGLES, BATCHED)).groups.flatMap((g) => g.items);
      // Warm-up: connections, prepared plans, the store's first rows.
      await server.snapshots.batchCreateSnapshots({ storeId: "warm", requests: items.slice(0, 50) });
      await Promise.all(items.slice(0, 50).map((it) => server.snapshots.createSnapshot({ ...it, storeId: "warm" })));

      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: SINGLE_IN_FLIGHT }, async () => {
          while (next < SINGLES) await server.snapshots.createSnapshot({ ...items[next++], storeId: "single" });
        }),
      );
      const single = SINGLES / ((performance.now() - t0) / 1000);

      const t1 = performance.now();
      for (let i = 0; i < BATCHED; i += BATCH_SIZE) {
        await server.snapshots.batchCreateSnapshots({ storeId: "batch", atomic: true, requests: items.slice(i, i + BATCH_SIZE) });
      }
      const batched = BATCHED / ((performance.now() - t1) / 1000);
      report({
        name: `BatchCreateSnapshots, ${BATCH_SIZE} small JSON snapshots per call`,
        value: batched,
        unit: "snapshots/s",
        baseline: { name: `CreateSnapshot, ${SINGLE_IN_FLIGHT} in flight`, value: single },
        ratio: batched / single,
        target: "well above 1",
      });
    } finally {
      await server.stop();
    }
  },
};
