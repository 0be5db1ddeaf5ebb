import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError, type DomainError } from "../errors.js";
import {
  authorize,
  effectiveScopes,
  hasScope,
  hiddenResource,
  localAdminPrincipal,
  parseScopes,
  requireScope,
  storeFilter,
  type Principal,
  type Scope,
} from "./principal.js";

const principal = (scopes: Scope[], stores: "*" | string[]): Principal => ({
  id: "p1",
  kind: "api_key",
  scopes: new Set(scopes),
  stores: stores === "*" ? "*" : new Set(stores),
});

function caught(fn: () => void): DomainError {
  try {
    fn();
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error("expected a DomainError");
}

test("admin implies read and write but not export", () => {
  const admin = principal(["snapshot:admin"], "*");
  assert.ok(hasScope(admin, "snapshot:read"));
  assert.ok(hasScope(admin, "snapshot:write"));
  assert.ok(hasScope(admin, "snapshot:admin"));
  assert.not.ok(hasScope(admin, "snapshot:export"));
});

test("write does not imply read; export implies nothing else", () => {
  const writer = principal(["snapshot:write"], "*");
  assert.not.ok(hasScope(writer, "snapshot:read"));
  const exporter = principal(["snapshot:export"], "*");
  assert.ok(hasScope(exporter, "snapshot:export"));
  assert.not.ok(hasScope(exporter, "snapshot:read"));
});

test("effectiveScopes expands admin", () => {
  assert.equal([...effectiveScopes(["snapshot:admin"])].sort(), ["snapshot:admin", "snapshot:read", "snapshot:write"]);
});

test("authorize passes with scope and store", () => {
  authorize(principal(["snapshot:read"], ["s1"]), "snapshot:read", "s1");
  authorize(principal(["snapshot:admin"], "*"), "snapshot:write", "any-store");
});

test("authorize: missing scope → PERMISSION_DENIED naming the scope", () => {
  const e = caught(() => authorize(principal(["snapshot:read"], ["s1"]), "snapshot:write", "s1"));
  assert.is(e.name, "PermissionDenied");
  assert.match(e.message, "snapshot:write");
});

test("authorize: store outside the set → NOT_FOUND identical to a missing store", () => {
  const e = caught(() => authorize(principal(["snapshot:read"], ["s1"]), "snapshot:read", "s2"));
  assert.is(e.name, "NotFound");
  assert.is(e.message, hiddenResource("s2").message);
  assert.is(e.message, "store s2 not found");
});

test("authorize: cross-store wins over missing scope (no existence leak)", () => {
  const e = caught(() => authorize(principal(["snapshot:read"], ["s1"]), "snapshot:admin", "s2"));
  assert.is(e.name, "NotFound");
});

test("authorize: NOT_FOUND can name the addressed resource", () => {
  const e = caught(() => authorize(principal(["snapshot:read"], ["s1"]), "snapshot:read", "s2", { what: "snapshot", id: "snap-9" }));
  assert.is(e.name, "NotFound");
  assert.is(e.message, "snapshot snap-9 not found");
});

test("empty store set sees nothing", () => {
  const e = caught(() => authorize(principal(["snapshot:admin"], []), "snapshot:read", "s1"));
  assert.is(e.name, "NotFound");
  assert.equal(storeFilter(principal(["snapshot:read"], [])), []);
});

test("requireScope and storeFilter", () => {
  assert.is(caught(() => requireScope(principal(["snapshot:read"], "*"), "snapshot:export")).name, "PermissionDenied");
  requireScope(principal(["snapshot:export"], "*"), "snapshot:export");
  assert.is(storeFilter(principal([], "*")), "*");
  assert.equal(storeFilter(principal([], ["b", "a"])), ["a", "b"]);
});

test("localAdminPrincipal holds every scope on every store", () => {
  const p = localAdminPrincipal();
  assert.is(p.kind, "local_admin");
  for (const s of ["snapshot:read", "snapshot:write", "snapshot:admin", "snapshot:export"] as const) authorize(p, s, "x");
});

test("parseScopes keeps known scopes only", () => {
  assert.equal([...parseScopes(["snapshot:read", "openid", "snapshot:export", ""])], ["snapshot:read", "snapshot:export"]);
});

test.run();
