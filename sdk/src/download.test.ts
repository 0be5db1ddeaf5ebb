import { test } from "uvu";
import * as assert from "uvu/assert";
import { expectedRangeSize, isWholeDownload } from "./download.js";

const id = { storeId: "s", snapshotId: "x" };

test("expectedRangeSize follows the server's range rules", () => {
  assert.is(expectedRangeSize(id, 100n), 100n);
  assert.is(expectedRangeSize({ ...id, offset: 10 }, 100n), 90n);
  assert.is(expectedRangeSize({ ...id, offset: 10, length: 5 }, 100n), 5n);
  assert.is(expectedRangeSize({ ...id, offset: 95, length: 50 }, 100n), 5n, "truncated at the end");
  assert.is(expectedRangeSize({ ...id, offset: 100n }, 100n), 0n);
  assert.is(expectedRangeSize({ ...id, length: 0 }, 0n), 0n);
});

test("only offset 0 with no length is a whole download", () => {
  assert.ok(isWholeDownload(id));
  assert.ok(isWholeDownload({ ...id, offset: 0n, length: 0 }));
  assert.not.ok(isWholeDownload({ ...id, offset: 1 }));
  assert.not.ok(isWholeDownload({ ...id, length: 100 }));
});

test.run();
