import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DomainError } from "../domain/errors.js";
import { dateOf } from "./convert.js";

const at = (seconds: bigint, nanos = 0) => create(TimestampSchema, { seconds, nanos });

test("a valid Timestamp becomes its Date; an absent one stays absent", () => {
  assert.is(dateOf(at(1_700_000_000n, 500_000_000), "since")!.toISOString(), "2023-11-14T22:13:20.500Z");
  assert.is(dateOf(undefined, "since"), undefined);
  assert.is(dateOf(at(-62_135_596_800n), "since")!.toISOString(), "0001-01-01T00:00:00.000Z");
});

test("nanos outside 0..999999999 or seconds outside years 1..9999 are INVALID_ARGUMENT naming the field", () => {
  // The SummarizeSnapshots `since` the fuzz test generated: nanos 0x7fffffe8 (was INTERNAL).
  for (const bad of [at(12n, 0x7fffffe8), at(12n, -1), at(253_402_300_800n), at(-62_135_596_801n)]) {
    try {
      dateOf(bad, "since");
      assert.unreachable(`accepted ${bad.seconds}s ${bad.nanos}ns`);
    } catch (e) {
      assert.instance(e, DomainError);
      const err = e as DomainError;
      assert.is(err.name, "InvalidArgument");
      assert.equal(err.details.violations?.map((v) => v.field), ["since"]);
    }
  }
});

test.run();
