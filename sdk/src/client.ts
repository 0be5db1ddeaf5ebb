import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import { resolveRetryOptions, type RetryOptions } from "./retry-policy.js";
import { createVellumTransport } from "./vellum-transport.js";

/** Typed clients for the Vellum services. Every method throws VellumError on failure. */
export interface VellumClient {
  snapshots: Client<typeof SnapshotService>;
  versions: Client<typeof VersionService>;
  jobs: Client<typeof JobService>;
  /** Resumable sessions and the client-side-dedup path (see uploadSnapshotIncremental in sdk/node). */
  uploads: Client<typeof UploadService>;
}

export interface VellumClientOptions {
  /**
   * Retry policy for retry-safe unary calls (Get*, List*, and calls carrying an idempotency_key);
   * missing fields take the defaults of DEFAULT_RETRY_OPTIONS. `false` disables retries.
   */
  retry?: Partial<RetryOptions> | false;
}

/**
 * Creates Vellum clients over a caller-supplied Transport: `@connectrpc/connect-web`
 * (createConnectTransport / createGrpcWebTransport) in browsers, `@connectrpc/connect-node`
 * (createGrpcTransport, createConnectTransport, createGrpcWebTransport) in Node. The SDK never
 * builds a transport itself; put authentication headers and interceptors on the transport.
 */
export function createVellumClient(transport: Transport, options: VellumClientOptions = {}): VellumClient {
  const retry = options.retry === false ? undefined : resolveRetryOptions(options.retry);
  const t = createVellumTransport(transport, retry);
  return {
    snapshots: createClient(SnapshotService, t),
    versions: createClient(VersionService, t),
    jobs: createClient(JobService, t),
    uploads: createClient(UploadService, t),
  };
}

/** Per-call options the helpers pass through to the transport. */
export interface CallOptions {
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal;
  /** Deadline per attempt, in ms; the transport's default when unset. */
  timeoutMs?: number;
  /** Extra request headers, e.g. x-request-id. */
  headers?: HeadersInit;
}
