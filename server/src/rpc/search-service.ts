import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  FacetCountSchema,
  HighlightSchema,
  SearchFacetsSchema,
  SearchResultSchema,
  SnapshotTypeCountSchema,
  type SearchFilters as PbSearchFilters,
} from "../../../gen/vellum/v1/search_pb.js";
import { SearchService } from "../../../gen/vellum/v1/search_service_pb.js";
import type { SearchUseCases } from "../domain/catalog/search.js";
import type { FacetCount, SearchFilters } from "../domain/catalog/search-types.js";
import { dateOf, snapshotToPb, snapshotTypeFromPb, snapshotTypeToPb } from "./convert.js";

function filtersFromPb(storeId: string, f: PbSearchFilters | undefined): SearchFilters {
  return {
    storeId,
    tags: f?.tags ?? [],
    resourceType: f?.resourceType || undefined,
    snapshotType: f ? snapshotTypeFromPb(f.snapshotType) : undefined,
    createdBy: f?.createdBy || undefined,
    since: dateOf(f?.since, "filters.since"),
    until: dateOf(f?.until, "filters.until"),
    labelsMatch: f?.labelsMatch && Object.keys(f.labelsMatch).length ? f.labelsMatch : undefined,
  };
}

const countsToPb = (counts: FacetCount[]) => counts.map((c) => create(FacetCountSchema, { value: c.value, count: BigInt(c.count) }));

/** SearchService: full-text search with facets, and samples for list views. */
export function createSearchServiceImpl(deps: { search: SearchUseCases }): ServiceImpl<typeof SearchService> {
  return {
    async searchSnapshots(req) {
      const r = await deps.search.search(req.q, filtersFromPb(req.storeId, req.filters), req.pageSize, req.pageToken);
      return {
        results: r.results.map((hit) =>
          create(SearchResultSchema, {
            snapshot: snapshotToPb(hit.snapshot),
            score: hit.score,
            highlights: Object.fromEntries(Object.entries(hit.highlights).map(([field, fragments]) => [field, create(HighlightSchema, { fragments })])),
          }),
        ),
        nextPageToken: r.nextPageToken,
        totalSize: BigInt(r.totalSize),
        facets: create(SearchFacetsSchema, {
          resourceTypes: countsToPb(r.facets.resourceTypes),
          snapshotTypes: r.facets.snapshotTypes.map((c) => create(SnapshotTypeCountSchema, { snapshotType: snapshotTypeToPb(c.value), count: BigInt(c.count) })),
          tags: countsToPb(r.facets.tags),
          createdBy: countsToPb(r.facets.createdBy),
        }),
      };
    },
    async sampleSnapshots(req) {
      const sample = await deps.search.sample(filtersFromPb(req.storeId, req.filters), req.limit);
      return { snapshots: sample.map(snapshotToPb) };
    },
  };
}
