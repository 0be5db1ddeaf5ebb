/**
 * SearchSnapshots latency on a store of 10,000 snapshots (the search corpus, with annotations)
 * through the real server: QUERIES queries of one to three words, some with filters, one at a
 * time; p50 and p99. The baseline is the first page of ListSnapshots on the same store.
 */
import { buildCorpus, CORPUS_TAGS, prng } from "../server/test/support/search-corpus.js";
import { percentile, startCatalogServer } from "./catalog-server.js";
import type { BenchModule, Report } from "./report.js";

const SIZE = Number(process.env.BENCH_SEARCH_SNAPSHOTS) || 10_000;
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES) || 300;
const WORDS = ["chai", "chair", "walnut", "oak dining", "sale", "rotterdam", "merchandis", "translation", "sku", "velvet sofa", "import nordic", "release", "restore backup", "publish web", "teak bench", "price"];

export const bench: BenchModule = {
  title: `Search: SearchSnapshots on ${SIZE.toLocaleString("en")} snapshots (real server, gRPC on loopback)`,
  async run(report: Report) {
    const server = await startCatalogServer();
    const store = "search";
    try {
      const corpus = buildCorpus(SIZE);
      const items = corpus.groups.flatMap((g) => g.items);
      const ids: string[] = [];
      for (let i = 0; i < items.length; i += 1000) {
        const { results } = await server.snapshots.batchCreateSnapshots({ storeId: store, atomic: true, requests: items.slice(i, i + 1000) });
        ids.push(...results.map((r) => r.snapshot!.snapshotId));
      }
      for (const a of corpus.annotations) await server.catalog.addAnnotation({ storeId: store, snapshotId: ids[a.position], message: a.message });

      const r = prng(3);
      const time = async (call: () => Promise<unknown>) => {
        const t0 = performance.now();
        await call();
        return performance.now() - t0;
      };
      const search: number[] = [];
      const list: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const filters = r.next() < 0.3 ? { tags: [r.pick(CORPUS_TAGS)] } : r.next() < 0.3 ? { resourceType: "product" } : undefined;
        search.push(await time(() => server.search.searchSnapshots({ storeId: store, q: r.pick(WORDS), filters, pageSize: 20 })));
        list.push(await time(() => server.snapshots.listSnapshots({ storeId: store, pageSize: 20 })));
      }
      const base = { name: "ListSnapshots first page of 20 (p50)", value: percentile(list, 0.5) };
      report({ name: `SearchSnapshots p50, page of 20 with facets, ${SIZE.toLocaleString("en")} snapshots`, value: percentile(search, 0.5), unit: "ms", baseline: base, ratio: percentile(search, 0.5) / base.value });
      report({ name: `SearchSnapshots p99, page of 20 with facets, ${SIZE.toLocaleString("en")} snapshots`, value: percentile(search, 0.99), unit: "ms", baseline: base, ratio: percentile(search, 0.99) / base.value });
    } finally {
      await server.stop();
    }
  },
};
