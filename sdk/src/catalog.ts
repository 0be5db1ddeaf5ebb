/**
 * Typed wrappers of CatalogService and SearchService: results instead of response envelopes,
 * pagers for the List calls, and a search pager that also exposes the whole result's facets and
 * total. Every call takes the client's retry policy and throws VellumError.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Annotation, TagCount } from "../../gen/vellum/v1/catalog_pb.js";
import type {
  AddAnnotationRequestSchema,
  AddTagsRequestSchema,
  HasSnapshotsRequestSchema,
  ListAnnotationsRequestSchema,
  ListAnnotationsResponse,
  ListTagsRequestSchema,
  ListTagsResponse,
  RemoveTagRequestSchema,
} from "../../gen/vellum/v1/catalog_service_pb.js";
import type { SearchFacets, SearchResult } from "../../gen/vellum/v1/search_pb.js";
import type { SampleSnapshotsRequestSchema, SearchSnapshotsRequestSchema, SearchSnapshotsResponse } from "../../gen/vellum/v1/search_service_pb.js";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { VellumError } from "./errors.js";
import { paginate, type Paged } from "./paginate.js";

type Catalog = Pick<VellumClient, "catalog">;
type Search = Pick<VellumClient, "search">;

function snapshotOf(r: { snapshot?: Snapshot }, rpc: string): Snapshot {
  if (!r.snapshot) throw new VellumError(Code.Internal, `${rpc} returned no snapshot`);
  return r.snapshot;
}

/**
 * Adds tags to a snapshot (existing tags first, duplicates dropped); with `etag`, only if the
 * snapshot is unchanged (ABORTED otherwise). Returns the snapshot after the change.
 */
export async function addTags(client: Catalog, req: MessageInitShape<typeof AddTagsRequestSchema>, options: CallOptions = {}): Promise<Snapshot> {
  return snapshotOf(await client.catalog.addTags(req, options), "AddTags");
}

/** Removes one tag (a tag the snapshot lacks is no change). Returns the snapshot after the change. */
export async function removeTag(client: Catalog, req: MessageInitShape<typeof RemoveTagRequestSchema>, options: CallOptions = {}): Promise<Snapshot> {
  return snapshotOf(await client.catalog.removeTag(req, options), "RemoveTag");
}

/** The store's tags with their live snapshot counts, by count descending, across all pages. */
export function listTags(client: Catalog, req: MessageInitShape<typeof ListTagsRequestSchema>, options: CallOptions = {}): Paged<TagCount, ListTagsResponse> {
  return paginate((r, o) => client.catalog.listTags(r, o), req, (p) => p.tags, options);
}

/** Adds an immutable note to an ACTIVE snapshot; `authorId` defaults to the caller. */
export async function addAnnotation(client: Catalog, req: MessageInitShape<typeof AddAnnotationRequestSchema>, options: CallOptions = {}): Promise<Annotation> {
  const { annotation } = await client.catalog.addAnnotation(req, options);
  if (!annotation) throw new VellumError(Code.Internal, "AddAnnotation returned no annotation");
  return annotation;
}

/** A snapshot's annotations, newest first, across all pages. */
export function listAnnotations(
  client: Catalog,
  req: MessageInitShape<typeof ListAnnotationsRequestSchema>,
  options: CallOptions = {},
): Paged<Annotation, ListAnnotationsResponse> {
  return paginate((r, o) => client.catalog.listAnnotations(r, o), req, (p) => p.annotations, options);
}

/**
 * Whether a resource (or one `resourceVersion` of it) has live snapshots: the snapshot id of the
 * newest, or undefined when there is none. Never NOT_FOUND.
 */
export async function hasSnapshots(client: Catalog, req: MessageInitShape<typeof HasSnapshotsRequestSchema>, options: CallOptions = {}): Promise<string | undefined> {
  const r = await client.catalog.hasSnapshots(req, options);
  return r.hasSnapshots ? r.latestSnapshotId : undefined;
}

/** A search's results page by page, plus what every page shares: the total and the facets. */
export interface SearchPaged extends Paged<SearchResult, SearchSnapshotsResponse> {
  /**
   * Number of matches across all pages and the facet counts over the whole result, from the first
   * page (fetched on first use, then shared with the iterations).
   */
  summary(): Promise<{ totalSize: bigint; facets: SearchFacets | undefined }>;
}

/**
 * Full-text search with filters, by score, across all pages: `for await (const hit of search)`
 * gives results with `score` and `highlights`; `summary()` the total and the facets. The first page
 * is fetched once and reused by `summary()` and every iteration; later pages are fetched as they
 * are consumed.
 */
export function searchSnapshots(client: Search, req: MessageInitShape<typeof SearchSnapshotsRequestSchema>, options: CallOptions = {}): SearchPaged {
  let first: Promise<SearchSnapshotsResponse> | undefined;
  const firstPage = () => {
    first ??= client.search.searchSnapshots(req, options);
    first.catch(() => (first = undefined)); // a failed first page is fetched again next time
    return first;
  };
  const fetch = (r: MessageInitShape<typeof SearchSnapshotsRequestSchema>, o: CallOptions) =>
    r.pageToken === (req.pageToken ?? "") ? firstPage() : client.search.searchSnapshots(r, o);
  const paged = paginate(fetch, req, (p) => p.results, options);
  return {
    ...paged,
    [Symbol.asyncIterator]: paged[Symbol.asyncIterator],
    async summary() {
      const p = await firstPage();
      return { totalSize: p.totalSize, facets: p.facets };
    },
  };
}

/** A small, recent-biased sample of live snapshots varied across resources and types (list views). */
export async function sampleSnapshots(client: Search, req: MessageInitShape<typeof SampleSnapshotsRequestSchema>, options: CallOptions = {}): Promise<Snapshot[]> {
  return (await client.search.sampleSnapshots(req, options)).snapshots;
}
