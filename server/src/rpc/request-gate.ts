import { randomUUID } from "node:crypto";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { hasScope, type Principal } from "../domain/auth/principal.js";
import { permissionDenied } from "../domain/errors.js";
import type { Logger } from "../lib/logger.js";
import { rpcCodeKey } from "../observability/rpc-outcome.js";
import { callerKey, requestIdKey } from "./context.js";
import { toConnectError } from "./errors.js";
import { requirementOf } from "./scopes.js";
import { logUndecodedRequest } from "./undecoded-requests.js";

/** Resolves the principal of a request from its headers (throws UNAUTHENTICATED on bad credentials). */
export type Authenticate = (headers: Headers) => Promise<Principal>;

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming x-request-id value when well-formed, else a fresh UUID. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
}

/**
 * connect-node's `requestGate`: runs when the request headers have arrived and before any byte of
 * the body is read, decompressed or parsed. It assigns the request id, looks the RPC up in
 * RPC_SCOPES (an RPC without an entry is refused, UNIMPLEMENTED: fail closed), and for non-public
 * RPCs authenticates the caller and checks that it holds the required scope at all. A rejection
 * here ends the call without reading the body; the HTTP layer then closes an HTTP/1.1 connection
 * instead of draining it (see http/unread-body.ts).
 *
 * Scopes are checked before stores: a principal lacking the scope gets PERMISSION_DENIED for any
 * store (scopes are not secret and the answer does not depend on the store). Store visibility and
 * rate limits need the request message and are enforced by the access interceptor.
 */
export function createRequestGate(deps: { authenticate: Authenticate; log: Logger }) {
  return async (ctx: HandlerContext): Promise<void> => {
    const requestId = requestIdFrom(ctx.requestHeader.get("x-request-id"));
    ctx.values.set(requestIdKey, requestId);
    const method = `${ctx.service.typeName}/${ctx.method.name}`;
    try {
      const need = requirementOf(ctx.service.typeName, ctx.method.name);
      if (need === undefined) throw new ConnectError("RPC has no declared scope", Code.Unimplemented);
      if (need !== "public") {
        const principal = await deps.authenticate(ctx.requestHeader);
        if (!hasScope(principal, need)) throw permissionDenied(`this call requires ${need}`);
        ctx.values.set(callerKey, principal);
      }
      logUndecodedRequest(ctx, deps.log, { requestId, method });
    } catch (err) {
      const { error, internal } = toConnectError(err);
      ctx.values.set(rpcCodeKey, error.code);
      const fields = { requestId, method, code: Code[error.code] };
      if (internal) deps.log.error("request gate failed", { ...fields, err });
      else deps.log.info("request rejected before reading its body", { ...fields, msg: error.rawMessage });
      error.metadata.set("x-request-id", requestId);
      throw error;
    }
  };
}
