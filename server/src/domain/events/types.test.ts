import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { EVENT_TYPES } from "./event-types.js";
import { filterFields, matchesFilter, parseEventFilter } from "./types.js";

const e = (type: string, subjectResourceType = "doc", tags: string[] = []) => ({ type, subjectResourceType, tags });

test("filters: exact types and prefix.*, resource type, any of the tags; empty matches all", () => {
  const all = parseEventFilter(undefined, filterFields("filter"));
  assert.ok(matchesFilter(e("job.failed"), all));
  const f = parseEventFilter({ types: ["snapshot.*", "job.failed"], resourceType: "doc", tags: ["a", "b"] }, filterFields("filter"));
  assert.ok(matchesFilter(e("snapshot.deleted", "doc", ["b"]), f));
  assert.not.ok(matchesFilter(e("snapshot.deleted", "img", ["b"]), f));
  assert.not.ok(matchesFilter(e("snapshot.deleted", "doc", ["c"]), f));
  assert.not.ok(matchesFilter(e("version.created", "doc", ["a"]), f));
  assert.ok(EVENT_TYPES.includes("snapshot.created") && EVENT_TYPES.includes("retention.run.completed") && EVENT_TYPES.includes("job.failed"));
});

test("bad filters are INVALID_ARGUMENT naming the field", () => {
  for (const [raw, field] of [
    [{ types: ["snapshot.exploded"] }, "filter.types"],
    [{ types: ["nothing.*"] }, "filter.types"],
    [{ types: Array.from({ length: 33 }, (_, i) => `snapshot.created${i}`) }, "filter.types"],
    [{ tags: [""] }, "filter.tags"],
    [{ resourceType: "x".repeat(129) }, "filter.resource_type"],
  ] as const) {
    try {
      parseEventFilter(raw, filterFields("filter"));
      assert.unreachable(field);
    } catch (err) {
      assert.ok(isDomainError(err, "InvalidArgument"));
      assert.is((err as { details: { violations: { field: string }[] } }).details.violations[0].field, field);
    }
  }
});

test.run();
