import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { RateClass, RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { callerKey } from "./context.js";
import { requirementOf, type Requirement } from "./scopes.js";
import { createStoreAccess, type StoreAccess } from "./store-access.js";

/**
 * RPCs whose requests carry no store: they act across stores and their handlers apply the store
 * rules themselves (API key administration). They are rate-limited in the caller's store-less
 * bucket.
 */
export const STORELESS_SERVICES: ReadonlySet<string> = new Set(["vellum.v1.ApiKeyService"]);

/**
 * The fields leading to a request's store id: `store_id`, or `header.store_id` (upload RPCs; the
 * header may be a oneof member). Undefined when the message type has neither.
 */
export function storeIdPath(input: DescMessage): DescField[] | undefined {
  const direct = input.fields.find((f) => f.name === "store_id");
  if (direct) return [direct];
  const header = input.fields.find((f) => f.name === "header");
  const nested = header?.fieldKind === "message" ? header.message.fields.find((f) => f.name === "store_id") : undefined;
  return header && nested ? [header, nested] : undefined;
}

function fieldValue(message: unknown, field: DescField): unknown {
  const m = message as Record<string, unknown> | undefined;
  if (!m) return undefined;
  if (!field.oneof) return m[field.localName];
  const o = m[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return o?.case === field.localName ? o.value : undefined;
}

/** The store id in a message along `path`; "" when unset. */
const storeIdIn = (path: DescField[], message: unknown): string =>
  (path.reduce<unknown>((m, f) => fieldValue(m, f), message) as string | undefined) ?? "";

/** Read budget for side-effect-free RPCs and read/export scopes; write budget for the rest. */
export function rateClassOf(need: Requirement, idempotency: MethodOptions_IdempotencyLevel): RateClass {
  if (need === "snapshot:read" || need === "snapshot:export") return "read";
  return idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ? "read" : "write";
}

/**
 * Runs after the request gate authenticated the caller and after the request message arrived.
 * Every request's store id (`store_id`, or `header.store_id` for the upload RPCs) must be a store
 * the caller can see (otherwise NOT_FOUND, exactly like a missing store) and within the caller's
 * rate budget for that store (otherwise RESOURCE_EXHAUSTED with RetryInfo):
 * - unary and server-streaming RPCs: checked before the handler runs;
 * - client and bidi streams: every message that names a store is checked as the handler reads it,
 *   before the handler sees it (so a handler cannot forget);
 * - RPCs of STORELESS_SERVICES are charged to the store-less bucket "" (their handlers apply the
 *   store rules);
 * - any other RPC whose request has no store id field is refused (fail closed).
 * Rate-limit headers (x-ratelimit-*) are added to the response headers.
 */
export function createAccessInterceptor(deps: { limiter: RateLimiter; now?: () => number }): Interceptor {
  const now = deps.now ?? Date.now;
  return (next) => async (req) => {
    const need = requirementOf(req.service.typeName, req.method.name);
    if (need === undefined) throw new ConnectError("RPC has no declared scope", Code.Unimplemented);
    if (need === "public") return next(req);
    const access = createStoreAccess(req.contextValues.get(callerKey), rateClassOf(need, req.method.idempotency), deps.limiter, now);
    const path = storeIdPath(req.method.input);
    const kind = req.method.methodKind;
    let headers: Record<string, string> | undefined;
    if (STORELESS_SERVICES.has(req.service.typeName)) {
      headers = access.chargeStoreless();
    } else if (path === undefined) {
      throw new ConnectError("RPC has no store rule", Code.Unimplemented);
    } else if (!req.stream) {
      headers = access.check(storeIdIn(path, req.message));
    } else if (kind === "server_streaming") {
      // The single request message arrives as a stream; read it, check, re-feed.
      const messages: unknown[] = [];
      for await (const m of req.message) {
        messages.push(m);
        if (messages.length > 1) break;
      }
      headers = access.check(storeIdIn(path, messages[0]));
      req = { ...req, message: replay(messages) } as typeof req;
    } else {
      const checked = checkEach(req.message, path, access, (h) => (headers = h));
      req = { ...req, message: checked } as typeof req;
    }
    const res = await next(req);
    for (const [k, v] of Object.entries(headers ?? {})) res.header.set(k, v);
    return res;
  };
}

async function* replay<T>(messages: T[]): AsyncIterable<T> {
  yield* messages;
}

/** Checks the store of every streamed message that names one, before passing it on. */
async function* checkEach<T>(
  messages: AsyncIterable<T>,
  path: DescField[],
  access: StoreAccess,
  onHeaders: (h: Record<string, string>) => void,
): AsyncIterable<T> {
  for await (const m of messages) {
    const storeId = storeIdIn(path, m);
    if (storeId !== "") onHeaders(access.check(storeId));
    yield m;
  }
}
