import type { DescMessage } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { RateClass, RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { callerKey } from "./context.js";
import { requirementOf, type Requirement } from "./scopes.js";
import { createStoreAccess, storeAccessKey } from "./store-access.js";

/**
 * RPCs whose requests carry no store: they act across stores and their handlers apply the store
 * rules themselves (API key administration). They are rate-limited in the caller's store-less
 * bucket.
 */
export const STORELESS_SERVICES: ReadonlySet<string> = new Set(["vellum.v1.ApiKeyService"]);

/**
 * Where a request message keeps its store id: a top-level `store_id`, or `header.store_id` (the
 * upload RPCs). Undefined when the message has neither.
 */
export function storeIdPath(input: DescMessage): "top" | "header" | undefined {
  if (input.fields.some((f) => f.name === "store_id")) return "top";
  const header = input.fields.find((f) => f.name === "header");
  if (header?.fieldKind === "message" && header.message.fields.some((f) => f.name === "store_id")) return "header";
  return undefined;
}

const storeIdIn = (path: "top" | "header", message: unknown): string => {
  const m = message as { storeId?: string; header?: { storeId?: string } } | undefined;
  return (path === "top" ? m?.storeId : m?.header?.storeId) ?? "";
};

/** Read budget for side-effect-free RPCs and read/export scopes; write budget for the rest. */
export function rateClassOf(need: Requirement, idempotency: MethodOptions_IdempotencyLevel): RateClass {
  if (need === "snapshot:read" || need === "snapshot:export") return "read";
  return idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ? "read" : "write";
}

/**
 * Runs after the request gate authenticated the caller and after the request message arrived:
 * - unary and server-streaming RPCs: the request's `store_id` (or `header.store_id`, the upload
 *   RPCs) must be a store the caller can see (otherwise NOT_FOUND, exactly like a missing store) and within the caller's rate budget for that
 *   store (otherwise RESOURCE_EXHAUSTED with RetryInfo);
 * - client-streaming RPCs: the handler calls `assertStoreAccess(ctx, storeId)` once it has read the
 *   store id from the stream (UploadSnapshot);
 * - RPCs of STORELESS_SERVICES are charged to the store-less bucket "";
 * - any other RPC whose request has no store_id field is refused (fail closed).
 * Rate-limit headers (x-ratelimit-*) are added to the response headers.
 */
export function createAccessInterceptor(deps: { limiter: RateLimiter; now?: () => number }): Interceptor {
  const now = deps.now ?? Date.now;
  return (next) => async (req) => {
    const need = requirementOf(req.service.typeName, req.method.name);
    if (need === undefined) throw new ConnectError("RPC has no declared scope", Code.Unimplemented);
    if (need === "public") return next(req);
    const access = createStoreAccess(req.contextValues.get(callerKey), rateClassOf(need, req.method.idempotency), deps.limiter, now);
    req.contextValues.set(storeAccessKey, access);
    const kind = req.method.methodKind;
    let headers: Record<string, string> | undefined;
    if (STORELESS_SERVICES.has(req.service.typeName)) {
      headers = access.chargeStoreless();
    } else if (kind === "client_streaming" || kind === "bidi_streaming") {
      // The handler checks the store from the first message (assertStoreAccess).
    } else if (storeIdPath(req.method.input) === undefined) {
      throw new ConnectError("RPC has no store rule", Code.Unimplemented);
    } else if (!req.stream) {
      headers = access.check(storeIdIn(storeIdPath(req.method.input)!, req.message));
    } else {
      // Server streaming: the single request message arrives as a stream; read it, check, re-feed.
      const messages: unknown[] = [];
      for await (const m of req.message) {
        messages.push(m);
        if (messages.length > 1) break;
      }
      headers = access.check(storeIdIn(storeIdPath(req.method.input)!, messages[0]));
      req = { ...req, message: (async function* () { yield* messages; })() } as typeof req;
    }
    const res = await next(req);
    for (const [k, v] of Object.entries(headers ?? {})) res.header.set(k, v);
    return res;
  };
}
