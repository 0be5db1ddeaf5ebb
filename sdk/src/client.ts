import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { resolveRetryOptions, type RetryOptions } from "./retry-policy.js";
import { VELLUM_SERVICES, type VellumServices } from "./services.js";
import { createVellumTransport } from "./vellum-transport.js";

/**
 * Typed clients for every Vellum service (services.ts), one property per service. Every method
 * throws VellumError on failure.
 */
export type VellumClient = { readonly [K in keyof VellumServices]: Client<VellumServices[K]> };

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
  return Object.fromEntries(Object.entries(VELLUM_SERVICES).map(([name, service]) => [name, createClient(service, t)])) as VellumClient;
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
