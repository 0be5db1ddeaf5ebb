import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Job } from "../../gen/vellum/v1/job_pb.js";
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

function paged<Req extends { pageToken?: string }, Page extends { nextPageToken: string }, Item>(
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
  return paged((r, o) => client.snapshots.listSnapshots(r, o), req, (p) => p.snapshots, options);
}

/** A resource's versions, ascending, across all pages. */
export function listVersions(
  client: Pick<VellumClient, "versions">,
  req: MessageInitShape<typeof ListVersionsRequestSchema>,
  options: CallOptions = {},
): Paged<Version, ListVersionsResponse> {
  return paged((r, o) => client.versions.listVersions(r, o), req, (p) => p.versions, options);
}

/** Jobs of a store, newest first, across all pages. */
export function listJobs(
  client: Pick<VellumClient, "jobs">,
  req: MessageInitShape<typeof ListJobsRequestSchema>,
  options: CallOptions = {},
): Paged<Job, ListJobsResponse> {
  return paged((r, o) => client.jobs.listJobs(r, o), req, (p) => p.jobs, options);
}
