import { DomainError, notFound, permissionDenied } from "../errors.js";

/**
 * Permissions a principal can hold. Implication rules (see `hasScope`):
 * - `snapshot:admin` implies `snapshot:read` and `snapshot:write` (an administrator can do anything a
 *   writer can, plus key management and store administration).
 * - `snapshot:export` is separate and implied by nothing: bulk export moves whole stores out of the
 *   service, so it must be granted explicitly, even to admins.
 * - `snapshot:write` does not imply `snapshot:read`.
 */
export type Scope = "snapshot:read" | "snapshot:write" | "snapshot:admin" | "snapshot:export";

export const SCOPES: readonly Scope[] = ["snapshot:read", "snapshot:write", "snapshot:admin", "snapshot:export"];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

export type PrincipalKind = "api_key" | "jwt" | "local_admin" | "share";

/** The authenticated caller of one request. */
export interface Principal {
  /** Stable identifier: API key id, JWT `sub`, share id, or "local-admin". */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** Granted scopes as presented; use `hasScope` to apply the implication rules. */
  readonly scopes: ReadonlySet<Scope>;
  /** Store ids this principal may touch; `'*'` means every store. */
  readonly stores: "*" | ReadonlySet<string>;
}

/** Scopes implied by holding `scope` (including itself). */
const IMPLIED: Record<Scope, readonly Scope[]> = {
  "snapshot:read": ["snapshot:read"],
  "snapshot:write": ["snapshot:write"],
  "snapshot:admin": ["snapshot:admin", "snapshot:read", "snapshot:write"],
  "snapshot:export": ["snapshot:export"],
};

/** True when `principal` holds `required` directly or through an implication (admin → read, write). */
export function hasScope(principal: Pick<Principal, "scopes">, required: Scope): boolean {
  for (const s of principal.scopes) if (IMPLIED[s].includes(required)) return true;
  return false;
}

/** The scope set after applying implications (admin expands to admin + read + write). */
export function effectiveScopes(scopes: Iterable<Scope>): Set<Scope> {
  const out = new Set<Scope>();
  for (const s of scopes) for (const i of IMPLIED[s]) out.add(i);
  return out;
}

/** True when the principal's store set includes `storeId` (or is `'*'`). */
export const canSeeStore = (principal: Pick<Principal, "stores">, storeId: string): boolean =>
  principal.stores === "*" || principal.stores.has(storeId);

/**
 * The error returned when a principal addresses a store (or a resource inside one) outside its store
 * set. It is byte-for-byte the error a missing resource produces (`notFound(what, id)`), so callers
 * cannot probe which store ids exist. Defaults to `store <storeId> not found`.
 */
export function hiddenResource(storeId: string, resource?: { what: string; id: string }): DomainError {
  return resource ? notFound(resource.what, resource.id) : notFound("store", storeId);
}

/** Throws `hiddenResource(...)` (NOT_FOUND) unless the principal may see `storeId`. */
export function assertStoreVisible(
  principal: Pick<Principal, "stores">,
  storeId: string,
  resource?: { what: string; id: string },
): void {
  if (!canSeeStore(principal, storeId)) throw hiddenResource(storeId, resource);
}

/**
 * Authorizes one operation on one store. Store visibility is checked first, so a principal without
 * access to the store gets NOT_FOUND (the same error a missing store gives, see `hiddenResource`) even
 * when it also lacks the scope; a principal that can see the store but lacks `required` (after
 * implications) gets PERMISSION_DENIED naming the missing scope (scopes are not secret).
 *
 * @param resource what to name in the NOT_FOUND message, e.g. `{ what: "snapshot", id }`, when the
 *   request addressed a resource rather than the store itself.
 */
export function authorize(
  principal: Principal,
  required: Scope,
  storeId: string,
  resource?: { what: string; id: string },
): void {
  assertStoreVisible(principal, storeId, resource);
  if (!hasScope(principal, required)) throw permissionDenied(`missing scope ${required}`);
}

/** Throws PERMISSION_DENIED unless the principal holds `required`; for store-independent operations. */
export function requireScope(principal: Principal, required: Scope): void {
  if (!hasScope(principal, required)) throw permissionDenied(`missing scope ${required}`);
}

/**
 * Store filter for list queries: `'*'` (no filter) or the explicit ids the principal may see, sorted.
 * An empty array means the principal sees no store; list results must then be empty.
 */
export const storeFilter = (principal: Pick<Principal, "stores">): "*" | string[] =>
  principal.stores === "*" ? "*" : [...principal.stores].sort();

/**
 * The principal used for trusted local administration (e.g. authentication disabled in a
 * development config). Holds every scope on every store; never derive it from request data.
 */
export const localAdminPrincipal = (): Principal => ({
  id: "local-admin",
  kind: "local_admin",
  scopes: new Set(SCOPES),
  stores: "*",
});

/**
 * Parses scope strings, keeping only known scopes. Unknown entries are ignored, not rejected: identity
 * providers issue tokens that carry scopes for other services too.
 */
export function parseScopes(values: Iterable<string>): Set<Scope> {
  const out = new Set<Scope>();
  for (const v of values) if (isScope(v)) out.add(v);
  return out;
}
