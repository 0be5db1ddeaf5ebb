import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { AuditContext } from "../domain/audit/audit-context.js";
import type { Principal, Scope } from "../domain/auth/principal.js";
import { unauthenticated } from "../domain/errors.js";

/**
 * The caller, as established by authentication in the request gate: the authenticated principal.
 * Requests that need no credentials (health, reflection, ResolveShare) keep the default, which holds
 * no scope and no store.
 */
export interface Caller {
  id: string;
  kind: Principal["kind"] | "anonymous";
  scopes: ReadonlySet<Scope>;
  stores: "*" | ReadonlySet<string>;
}

/** Per-request values set by interceptors; handlers read them, never globals. */
export const callerKey = createContextKey<Caller>(
  { id: "anonymous", kind: "anonymous", scopes: new Set(), stores: new Set() },
  { description: "caller" },
);
/**
 * The client address of the request: the TCP peer, or the client a trusted proxy names (set by the
 * HTTP adapter, see http/client-address.ts; empty in in-memory transports).
 */
export const clientIpKey = createContextKey<string>("", { description: "client ip" });
export const requestIdKey = createContextKey<string>("", { description: "request id" });
/** Set once a call reaches the observability interceptor, which logs its outcome from then on. */
export const interceptedKey = createContextKey<boolean>(false, { description: "intercepted" });

export const callerOf = (ctx: HandlerContext) => ctx.values.get(callerKey);
export const requestIdOf = (ctx: HandlerContext) => ctx.values.get(requestIdKey);
/**
 * The authenticated principal of a call that required credentials. Throws UNAUTHENTICATED when the
 * request gate did not authenticate one (public RPCs), so handlers never act for "anonymous".
 */
export const principalOf = (ctx: HandlerContext): Principal => {
  const caller = callerOf(ctx);
  if (caller.kind === "anonymous") throw unauthenticated("this call requires credentials");
  return caller as Principal;
};
/** The audit actor and request id of the call, for repository methods that write audit events. */
export const auditOf = (ctx: HandlerContext): AuditContext => {
  const caller = callerOf(ctx);
  return { actor: `${caller.kind}:${caller.id}`, requestId: requestIdOf(ctx) };
};
