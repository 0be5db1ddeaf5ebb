import { test } from "uvu";
import * as assert from "uvu/assert";
import { defineJobKind, noParams } from "../src/jobs/kind.js";
import { createEventReader } from "../src/storage/db/event-repo.js";
import { createJobHarness, STORE, terminal } from "./support/job-harness.js";

const failing = defineJobKind({
  type: "TEST_FAIL",
  scope: "store",
  maxAttempts: 1,
  parseParams: noParams,
  handler: async () => ({ ok: false, errors: [{ code: "FAILED_PRECONDITION", message: "nothing to do" }] }),
});
const all = { types: [], resourceType: "", tags: [] };

test("a failing job writes job.failed (with its errors) in the transaction that fails it; pruning drops old events", async () => {
  const h = await createJobHarness([failing]);
  const runner = h.runner({ concurrency: 1 });
  try {
    await runner.start();
    const job = await h.enqueue("TEST_FAIL");
    const done = await h.waitFor(job.id, terminal);
    assert.is(done.state, "FAILED");
    const events = createEventReader(h.database.db);
    const page = await events.listAfter(STORE, 0, 50, all);
    assert.equal(page.events.map((e) => [e.type, e.resourceId]), [["job.created", job.id], ["job.failed", job.id]]);
    const failed = page.events[1];
    assert.is(failed.actor, "system:jobs");
    assert.equal((failed.data as { errors: { message: string }[] }).errors.map((e) => e.message), ["nothing to do"]);
    assert.is(await events.pruneBefore(new Date(0)), 0, "nothing older than the epoch");
    assert.is(await events.pruneBefore(new Date(Date.now() + 60_000)), 2);
    const after = await events.listAfter(STORE, 0, 50, all);
    assert.equal([after.events.length, after.next], [0, page.next], "the cursor survives pruning");
  } finally {
    await h.close();
  }
});

test.run();
