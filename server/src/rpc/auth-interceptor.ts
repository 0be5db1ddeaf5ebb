import { localAdminPrincipal, type Principal } from "../domain/auth/principal.js";
import type { Authenticate } from "./request-gate.js";

/**
 * Authentication happens in the request gate (rpc/request-gate.ts), before the body is read;
 * store visibility and rate limits in the access interceptor (rpc/access-interceptor.ts).
 */
export type { Authenticate, Principal };

/** Development mode: every request is a local admin with all scopes (server binds loopback only). */
export const localAdmin: Authenticate = async () => localAdminPrincipal();
