import { createContextKey, type Code } from "@connectrpc/connect";

/**
 * The status code a call ends with, for the metrics: set where errors become statuses (the request
 * gate, the observability interceptor, a request that fails to decode before the interceptors) and
 * read by the HTTP adapter when the response is written. Unset (undefined) means OK.
 */
export const rpcCodeKey = createContextKey<Code | undefined>(undefined, { description: "rpc status code" });
