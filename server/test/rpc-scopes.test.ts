import { test } from "uvu";
import * as assert from "uvu/assert";
import { SERVICES } from "../src/app.js";
import { RPC_SCOPES } from "../src/rpc/scopes.js";

const rpcs = SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));

test("every RPC of every registered service declares its scope in RPC_SCOPES", () => {
  assert.equal(rpcs.filter((rpc) => RPC_SCOPES[rpc] === undefined), []);
});

test("RPC_SCOPES has no entries for RPCs the server does not serve", () => {
  assert.equal(Object.keys(RPC_SCOPES).filter((rpc) => !rpcs.includes(rpc)), []);
});

test.run();
