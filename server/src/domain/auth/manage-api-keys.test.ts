import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseApiKey, verifyApiKey, type ApiKeyRepository, type StoredApiKey } from "./api-key.js";
import { createApiKey, revokeApiKey, type CreateApiKeyInput, type ManageApiKeysDeps } from "./manage-api-keys.js";
import type { Principal, Scope } from "./principal.js";
import { rejection } from "../../../test/support/rejection.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const pepper = new Uint8Array(32).fill(5);

/** Map-backed ApiKeyRepository: the port's contract, nothing more. */
function memoryRepository(): ApiKeyRepository & { all(): StoredApiKey[] } {
  const byId = new Map<string, StoredApiKey>();
  return {
    findById: async (id) => byId.get(id),
    insert: async (k) => void byId.set(k.keyId, k),
    revoke: async (id) => {
      const k = byId.get(id);
      if (k) byId.set(id, { ...k, revoked: true });
      return k !== undefined;
    },
    all: () => [...byId.values()],
  };
}

const who = (scopes: Scope[], stores: "*" | string[], id = "admin-1"): Principal => ({
  id,
  kind: "jwt",
  scopes: new Set(scopes),
  stores: stores === "*" ? "*" : new Set(stores),
});

const input = (over: Partial<CreateApiKeyInput> = {}): CreateApiKeyInput => ({
  name: "ci key",
  scopes: new Set(["snapshot:read"]),
  stores: new Set(["s1"]),
  expiresAt: null,
  ...over,
});

const setup = () => {
  const repository = memoryRepository();
  const deps: ManageApiKeysDeps = { repository, hash: { pepper }, now: () => NOW };
  return { repository, deps };
};

test("admin creates a key: plaintext returned once, only the hash stored, key verifies", async () => {
  const { repository, deps } = setup();
  const created = await createApiKey(deps, who(["snapshot:admin"], "*"), input({ expiresAt: new Date(NOW.getTime() + 1000) }));
  const parsed = parseApiKey(created.key)!;
  assert.ok(parsed);
  const [row] = repository.all();
  assert.is(row.keyId, parsed.keyId);
  assert.is(row.createdBy, "admin-1");
  assert.not.ok(JSON.stringify({ ...row, secretHash: row.secretHash.toHex() }).includes(parsed.secret));
  const p = verifyApiKey(created.key, row, { pepper, now: NOW });
  assert.equal([...p.scopes], ["snapshot:read"]);
});

test("non-admin cannot create keys", async () => {
  const { deps } = setup();
  const e = await rejection(createApiKey(deps, who(["snapshot:write", "snapshot:read"], "*"), input()));
  assert.is(e.name, "PermissionDenied");
});

test("admin cannot grant export it does not hold; can grant admin/read/write", async () => {
  const { deps } = setup();
  const e = await rejection(createApiKey(deps, who(["snapshot:admin"], "*"), input({ scopes: new Set(["snapshot:export"]) })));
  assert.is(e.name, "InvalidArgument");
  assert.match(e.message, "snapshot:export");
  await createApiKey(deps, who(["snapshot:admin"], "*"), input({ scopes: new Set(["snapshot:admin", "snapshot:write"]) }));
  await createApiKey(deps, who(["snapshot:admin", "snapshot:export"], "*"), input({ scopes: new Set(["snapshot:export"]) }));
});

test("store-limited admin: other stores look missing, '*' refused", async () => {
  const { deps } = setup();
  const admin = who(["snapshot:admin"], ["s1"]);
  const e = await rejection(createApiKey(deps, admin, input({ stores: new Set(["s1", "s2"]) })));
  assert.is(e.name, "NotFound");
  assert.is(e.message, "store s2 not found");
  assert.is((await rejection(createApiKey(deps, admin, input({ stores: "*" })))).name, "InvalidArgument");
});

test("field validation: name, scopes, stores, expiry", async () => {
  const { deps } = setup();
  const admin = who(["snapshot:admin"], "*");
  const e = await rejection(
    createApiKey(deps, admin, { name: " ", scopes: new Set(), stores: new Set(), expiresAt: NOW }),
  );
  assert.is(e.name, "InvalidArgument");
  assert.equal(e.details.violations?.map((v) => v.field), ["name", "scopes", "stores", "expire_time"]);
});

test("revoke: admin revokes; store-limited admin cannot see others' keys", async () => {
  const { repository, deps } = setup();
  const k1 = await createApiKey(deps, who(["snapshot:admin"], "*"), input({ stores: new Set(["s1"]) }));
  const k2 = await createApiKey(deps, who(["snapshot:admin"], "*"), input({ stores: new Set(["s2"]) }));
  const limited = who(["snapshot:admin"], ["s1"]);
  await revokeApiKey(deps, limited, k1.record.keyId);
  assert.ok((await repository.findById(k1.record.keyId))!.revoked);
  const e = await rejection(revokeApiKey(deps, limited, k2.record.keyId));
  assert.is(e.name, "NotFound");
  assert.not.ok((await repository.findById(k2.record.keyId))!.revoked);
  assert.is((await rejection(revokeApiKey(deps, limited, "missing00"))).name, "NotFound");
  assert.is((await rejection(revokeApiKey(deps, who(["snapshot:read"], "*"), k2.record.keyId))).name, "PermissionDenied");
  await revokeApiKey(deps, who(["snapshot:admin"], "*"), k1.record.keyId); // idempotent
});

test.run();
