/** Domain model and port of snapshot search and sampling. */
import type { Snapshot, SnapshotType } from "../snapshots/types.js";

/** Filters shared by search and sample; all ANDed, and only live snapshots ever match. */
export interface SearchFilters {
  storeId: string;
  /** Every one of these tags. */
  tags: string[];
  resourceType?: string;
  snapshotType?: SnapshotType;
  createdBy?: string;
  since?: Date;
  until?: Date;
  labelsMatch?: Record<string, unknown>;
}

/** A validated search: the words of the query (letters and digits only) and the filters. */
export interface SearchQuery extends SearchFilters {
  terms: string[];
}

/** A position in result order (score descending, create_time descending, id descending). */
export interface SearchCursor {
  score: number;
  createTime: Date;
  id: string;
}

/** Searched fields, as named in SearchResult.highlights. */
export const HIGHLIGHT_FIELDS = ["commit_message", "resource_id", "resource_type", "tags", "labels", "annotations", "created_by"] as const;
export type HighlightField = (typeof HIGHLIGHT_FIELDS)[number];

export interface SearchHit {
  snapshot: Snapshot;
  score: number;
  /** Raw ts_headline output per field (markers as in highlight.ts); only fields the query matched. */
  headlines: Partial<Record<HighlightField, string>>;
}

export interface FacetCount<V = string> {
  value: V;
  count: number;
}

export interface SearchFacets {
  resourceTypes: FacetCount[];
  snapshotTypes: FacetCount<SnapshotType>[];
  tags: FacetCount[];
  createdBy: FacetCount[];
}

export interface SearchRepository {
  /** One page of hits in result order after `after`; headlines only when the query has terms. */
  page(query: SearchQuery, limit: number, after?: SearchCursor): Promise<SearchHit[]>;
  /** The number of matches and, per facet, the `facetLimit` most frequent values over all of them. */
  summary(query: SearchQuery, facetLimit: number): Promise<{ total: number; facets: SearchFacets }>;
  /**
   * From the `window` newest matching snapshots: the newest of each resource, interleaved across
   * resource types (rank within the type, then newest first), at most `limit`.
   */
  sample(filters: SearchFilters, limit: number, window: number): Promise<Snapshot[]>;
}
