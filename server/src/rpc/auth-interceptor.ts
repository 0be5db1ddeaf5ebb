import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { permissionDenied } from "../domain/errors.js";
import { callerKey, type Caller } from "./context.js";
import { IMPLIED, requirementOf, type Scope } from "./scopes.js";

/** An authenticated principal: who, with which scopes. */
export interface Principal extends Caller {
  scopes: ReadonlySet<Scope>;
}

/** Resolves the principal of a request from its headers (throws UNAUTHENTICATED on bad credentials). */
export type Authenticate = (headers: Headers) => Promise<Principal>;

/**
 * Enforces RPC_SCOPES on every call: an RPC missing from the table is refused (fail closed), a
 * principal without the scope gets PERMISSION_DENIED. Sets the caller context value.
 */
export function createAuthInterceptor(authenticate: Authenticate): Interceptor {
  return (next) => async (req) => {
    const need = requirementOf(req.service.typeName, req.method.name);
    if (need === undefined) throw new ConnectError("RPC has no declared scope", Code.Unimplemented);
    if (need === "public") return next(req);
    const principal = await authenticate(req.header);
    const granted = [...principal.scopes].some((s) => IMPLIED[s].includes(need));
    if (!granted) throw permissionDenied(`this call requires ${need}`);
    req.contextValues.set(callerKey, { id: principal.id, kind: principal.kind });
    return next(req);
  };
}

/** Development mode: every request is a local admin with all scopes (server binds loopback only). */
export const localAdmin: Authenticate = async () => ({
  id: "local-admin",
  kind: "local_admin",
  scopes: new Set<Scope>(["snapshot:admin", "snapshot:export"]),
});
