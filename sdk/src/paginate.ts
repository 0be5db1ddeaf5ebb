import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ApiKey } from "../../gen/vellum/v1/api_key_pb.js";
import type { ListApiKeysRequestSchema, ListApiKeysResponse } from "../../gen/vellum/v1/api_key_service_pb.js";
import type { Job } from "../../gen/vellum/v1/job_pb.js";
import type { Share } from "../../gen/vellum/v1/share_pb.js";
import type { ListSharesRequestSchema, ListSharesResponse } from "../../gen/vellum/v1/share_service_pb.js";
import type { ListJobsRequestSchema, ListJobsResponse } from "../../gen/vellum/v1/job_service_pb.js";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { ListSnapshotsRequestSchema, ListSnapshotsResponse } from "../../gen/vellum/v1/snapshot_service_pb.js";
import type { Version } from "../../gen/vellum/v1/version_pb.js";
import type { ListVersionsRequestSchema, ListVersionsResponse } from "../../gen/vellum/v1/version_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";

/**
 * The items of a keyset-paged List call, fetched page by page as they are consumed:
 * `for await (const item of paged)`. `pages()` yields whole responses instead (items,
 * next_page_token, total_size). Each iteration starts again from the request's page_token; pages
 * are fetched one at a time, only when needed, with the client's retry policy.
 */
export interface Paged<Item, Page> extends AsyncIterable<Item> {
  pages(): AsyncIterable<Page>;
}

/**
 * Pages through any List RPC: `fetch` is the client method (e.g. `(r, o) => client.shares.listShares(r, o)`),
 * `items` picks a page's items. The wrappers below are this with their RPC filled in.
 */
export function paginate<Req extends { pageToken?: string }, Page extends { nextPageToken: string }, Item>(
  fetch: (req: Req, opts: CallOptions) => Promise<Page>,
  req: Req,
  items: (page: Page) => Item[],
  options: CallOptions,
): Paged<Item, Page> {
  async function* pages(): AsyncGenerator<Page> {
    let token = req.pageToken ?? "";
    for (;;) {
      const page = await fetch({ ...req, pageToken: token }, options);
      yield page;
      if (!page.nextPageToken) return;
      token = page.nextPageToken;
    }
  }
  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* items(page);
    },
  };
}

/** Snapshots matching `req`, newest first, across all pages. */
export function listSnapshots(
  client: Pick<VellumClient, "snapshots">,
  req: MessageInitShape<typeof ListSnapshotsRequestSchema>,
  options: CallOptions = {},
): Paged<Snapshot, ListSnapshotsResponse> {
  return paginate((r, o) => client.snapshots.listSnapshots(r, o), req, (p) => p.snapshots, options);
}

/** A resource's versions, ascending, across all pages. */
export function listVersions(
  client: Pick<VellumClient, "versions">,
  req: MessageInitShape<typeof ListVersionsRequestSchema>,
  options: CallOptions = {},
): Paged<Version, ListVersionsResponse> {
  return paginate((r, o) => client.versions.listVersions(r, o), req, (p) => p.versions, options);
}

/** Jobs of a store, newest first, across all pages. */
export function listJobs(
  client: Pick<VellumClient, "jobs">,
  req: MessageInitShape<typeof ListJobsRequestSchema>,
  options: CallOptions = {},
): Paged<Job, ListJobsResponse> {
  return paginate((r, o) => client.jobs.listJobs(r, o), req, (p) => p.jobs, options);
}

/** Share links of a store, newest first, across all pages. */
export function listShares(
  client: Pick<VellumClient, "shares">,
  req: MessageInitShape<typeof ListSharesRequestSchema>,
  options: CallOptions = {},
): Paged<Share, ListSharesResponse> {
  return paginate((r, o) => client.shares.listShares(r, o), req, (p) => p.shares, options);
}

/** API keys visible to the caller, newest first, across all pages. */
export function listApiKeys(
  client: Pick<VellumClient, "apiKeys">,
  req: MessageInitShape<typeof ListApiKeysRequestSchema>,
  options: CallOptions = {},
): Paged<ApiKey, ListApiKeysResponse> {
  return paginate((r, o) => client.apiKeys.listApiKeys(r, o), req, (p) => p.apiKeys, options);
}
