import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { compareRequestFromParams, validateCompareRequest, type CompareRequestInput } from "./request.js";

const ID_A = "0190F5A2-0000-7000-8000-00000000000A";
const ID_B = "0190f5a2-0000-7000-8000-00000000000b";
const base: CompareRequestInput = {
  storeId: "shop",
  leftSnapshotId: ID_A,
  rightSnapshotId: ID_B,
  format: "UNIFIED",
  options: { ignorePaths: ["/updated_at"], arrayMatchKey: ["id", "sku"] },
};

function violations(input: CompareRequestInput): string[] {
  try {
    validateCompareRequest(input);
  } catch (e) {
    if (isDomainError(e, "InvalidArgument")) return (e.details.violations ?? []).map((v) => v.field);
    throw e;
  }
  throw new Error("expected InvalidArgument");
}

test("a valid request comes back with lowercased ids and its options", () => {
  const r = validateCompareRequest({ ...base, options: { ...base.options, context: 0 } });
  assert.equal(r, {
    storeId: "shop",
    leftSnapshotId: ID_A.toLowerCase(),
    rightSnapshotId: ID_B,
    format: "UNIFIED",
    options: { context: 0, ignorePaths: ["/updated_at"], arrayMatchKey: ["id", "sku"] },
  });
});

test("every bad field is reported at once", () => {
  assert.equal(
    violations({
      storeId: "",
      leftSnapshotId: "x",
      rightSnapshotId: "",
      format: undefined,
      options: { ignorePaths: Array(101).fill("/a"), arrayMatchKey: Array(11).fill("id") },
    }),
    ["store_id", "left_snapshot_id", "right_snapshot_id", "format", "options.ignore_paths", "options.array_match_key"],
  );
  assert.equal(violations({ ...base, options: { ignorePaths: [`/${"a".repeat(1024)}`], arrayMatchKey: [] } }), ["options.ignore_paths[0]"]);
});

test("the engine's option checks apply: context range, pointer syntax, key length", () => {
  assert.equal(violations({ ...base, options: { ...base.options, context: 1001 } }), ["options.context"]);
  assert.equal(violations({ ...base, options: { ...base.options, ignorePaths: ["updated_at"] } }), ["options.ignore_paths[0]"]);
  assert.equal(violations({ ...base, options: { ...base.options, arrayMatchKey: [""] } }), ["options.array_match_key[0]"]);
});

test("job params round-trip to the same request, and bad params are still rejected", () => {
  const r = validateCompareRequest({ ...base, format: "CHUNKS", options: { ...base.options, context: 7 } });
  const params = JSON.parse(JSON.stringify({ ...r, auditActor: "api_key:1" })) as Record<string, unknown>;
  assert.equal(compareRequestFromParams("shop", params), r);
  assert.equal(violations({ ...base, format: "PDF" as never }), ["format"]);
  assert.throws(() => compareRequestFromParams("shop", { ...params, leftSnapshotId: 42 }), (e: unknown) => isDomainError(e, "InvalidArgument"));
});

test.run();
