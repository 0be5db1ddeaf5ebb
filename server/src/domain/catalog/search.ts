import { invalidField } from "../errors.js";
import { decodePageToken, encodePageToken } from "../paging.js";
import { checkTags } from "../snapshots/spec.js";
import type { Snapshot } from "../snapshots/types.js";
import { containsNul, RESOURCE_ID_RE, RESOURCE_TYPE_RE, Validator } from "../validate.js";
import { highlightFragments } from "./highlight.js";
import { HIGHLIGHT_FIELDS, type SearchCursor, type SearchFilters, type SearchQuery, type SearchRepository } from "./search-types.js";

/** Bounds on one search: query text, words, tag filters, page, facet values. */
export const SEARCH_LIMITS = Object.freeze({
  queryChars: 256,
  terms: 8,
  tagFilters: 16,
  defaultPageSize: 50,
  maxPageSize: 100,
  facetValues: 20,
});
/** Bounds on one sample: its size, and how many of the newest snapshots it is drawn from. */
export const SAMPLE_LIMITS = Object.freeze({ defaultLimit: 20, maxLimit: 100, window: 10_000 });

/**
 * The words of a free-text query: runs of letters, marks and digits, lowercased, each once. No
 * other character survives, so no word can carry tsquery syntax.
 */
export function queryTerms(q: string): string[] {
  return [...new Set(q.normalize("NFC").toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [])];
}

/** Validates filters (violations under "filters."). */
export function checkFilters(v: Validator, f: SearchFilters): void {
  v.storeId("store_id", f.storeId);
  if (f.tags.length > SEARCH_LIMITS.tagFilters) v.add("filters.tags", `must have at most ${SEARCH_LIMITS.tagFilters} entries`);
  else checkTags(v, "filters.tags", f.tags);
  if (f.resourceType) v.pattern("filters.resource_type", f.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
  if (f.createdBy) v.pattern("filters.created_by", f.createdBy, RESOURCE_ID_RE, 256, "free of control characters");
  if (f.labelsMatch && containsNul(f.labelsMatch)) v.add("filters.labels_match", "must not contain NUL characters");
  if (f.since && f.until && f.since >= f.until) v.add("filters.until", "must be after since");
}

const searchCursor = (c: unknown): SearchCursor | undefined => {
  const { s, t, id } = (c ?? {}) as { s?: unknown; t?: unknown; id?: unknown };
  if (typeof s !== "number" || !Number.isFinite(s) || typeof t !== "string" || typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) {
    return undefined;
  }
  const createTime = new Date(t);
  return Number.isNaN(createTime.getTime()) ? undefined : { score: s, createTime, id };
};

/** SearchSnapshots and SampleSnapshots over a SearchRepository. */
export function createSearchUseCases(deps: { search: SearchRepository }) {
  return {
    async search(q: string, filters: SearchFilters, pageSize: number, pageToken: string) {
      const v = new Validator();
      checkFilters(v, filters);
      const terms = queryTerms(q);
      if (q.length > SEARCH_LIMITS.queryChars) v.add("q", `must be at most ${SEARCH_LIMITS.queryChars} characters`);
      else if (terms.length > SEARCH_LIMITS.terms) v.add("q", `must have at most ${SEARCH_LIMITS.terms} words`);
      if (pageSize < 0) v.add("page_size", "must not be negative");
      v.throwIfAny();
      const size = Math.min(pageSize || SEARCH_LIMITS.defaultPageSize, SEARCH_LIMITS.maxPageSize);
      const query: SearchQuery = { ...filters, terms };
      const after = decodePageToken(pageToken, query, searchCursor);
      const [rows, summary] = await Promise.all([
        deps.search.page(query, size + 1, after),
        deps.search.summary(query, SEARCH_LIMITS.facetValues),
      ]);
      const hits = rows.slice(0, size);
      const last = hits[hits.length - 1];
      return {
        results: hits.map((h) => ({
          snapshot: h.snapshot,
          score: h.score,
          highlights: Object.fromEntries(
            HIGHLIGHT_FIELDS.flatMap((f) => {
              const fragments = h.headlines[f] === undefined ? undefined : highlightFragments(h.headlines[f]);
              return fragments ? [[f, fragments] as const] : [];
            }),
          ),
        })),
        nextPageToken:
          rows.length > size && last
            ? encodePageToken({ s: last.score, t: last.snapshot.createTime.toISOString(), id: last.snapshot.id }, query)
            : "",
        totalSize: summary.total,
        facets: summary.facets,
      };
    },

    async sample(filters: SearchFilters, limit: number): Promise<Snapshot[]> {
      const v = new Validator();
      checkFilters(v, filters);
      v.throwIfAny();
      if (limit < 0) throw invalidField("limit", "must not be negative");
      return deps.search.sample(filters, Math.min(limit || SAMPLE_LIMITS.defaultLimit, SAMPLE_LIMITS.maxLimit), SAMPLE_LIMITS.window);
    },
  };
}

export type SearchUseCases = ReturnType<typeof createSearchUseCases>;
