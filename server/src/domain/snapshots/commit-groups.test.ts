import { test } from "uvu";
import * as assert from "uvu/assert";
import type { AuditContext } from "../audit/audit-context.js";
import { DomainError } from "../errors.js";
import type { BatchSnapshotRow, SnapshotBatchRepository } from "./batch-create.js";
import { createCommitGroups, type GroupRow } from "./commit-groups.js";
import type { Snapshot } from "./types.js";

/** A row with only what grouping reads; the repository below echoes it back as the snapshot. */
const row = (id: string, o: { store?: string; resourceVersion?: string } = {}): GroupRow => ({
  snapshot: { id, storeId: o.store ?? "s", resourceType: "product", resourceId: "r", resourceVersion: o.resourceVersion ?? "" } as Omit<Snapshot, "version">,
  versionMessage: "",
  audit: { actor: "test", requestId: `req-${id}` },
});

/**
 * An in-memory SnapshotBatchRepository: records each call's row ids, answers a call only when the
 * test releases it (or at once with `auto`), reports rows whose id is in `conflicting` as
 * conflicts, and throws `fail(ids)` when that returns an error.
 */
function repository(o: { auto?: boolean; conflicting?: string[]; fail?: (ids: string[]) => unknown } = {}) {
  const calls: { ids: string[]; audits: AuditContext[]; release(): void }[] = [];
  const batches: SnapshotBatchRepository = {
    async insertMany(rows: readonly BatchSnapshotRow[]) {
      const ids = rows.map((r) => r.snapshot.id);
      const gate = new Promise<void>((release) => {
        calls.push({ ids, audits: rows.map((r) => r.audit!), release });
        if (o.auto) release();
      });
      await gate;
      const err = o.fail?.(ids);
      if (err) throw err;
      const conflicts = rows.flatMap((r, k) => (o.conflicting?.includes(r.snapshot.id) ? [k] : []));
      return { created: rows.map((r, k) => (conflicts.includes(k) ? undefined : ({ ...r.snapshot, version: 1 } as Snapshot))), conflicts };
    },
  };
  return { batches, calls };
}

const settle = () => new Promise((r) => setImmediate(r));

test("a lone create commits at once, alone, with its own audit context", async () => {
  const { batches, calls } = repository({ auto: true });
  const groups = createCommitGroups({ batches, committedNothing: () => true });
  const s = await groups.commit(row("a"));
  assert.is(s.id, "a");
  assert.equal(calls.map((c) => c.ids), [["a"]]);
  assert.equal(calls[0].audits, [{ actor: "test", requestId: "req-a" }]);
});

test("creates that arrive while their store's group commits wait, then commit together in arrival order", async () => {
  const { batches, calls } = repository();
  const groups = createCommitGroups({ batches, committedNothing: () => true });
  const first = groups.commit(row("a"));
  await settle();
  const rest = ["b", "c", "d", "e"].map((id) => groups.commit(row(id)));
  const other = groups.commit(row("x", { store: "t" })); // another store does not wait
  await settle();
  assert.equal(calls.map((c) => c.ids), [["a"], ["x"]]);
  calls[0].release();
  calls[1].release();
  assert.is((await first).id, "a");
  assert.is((await other).id, "x");
  await settle();
  assert.equal(calls[2].ids, ["b", "c", "d", "e"]);
  assert.equal(calls[2].audits.map((a) => a.requestId), ["req-b", "req-c", "req-d", "req-e"]);
  calls[2].release();
  assert.equal((await Promise.all(rest)).map((s) => s.id), ["b", "c", "d", "e"]);
});

test("a group holds at most maxRows rows", async () => {
  const { batches, calls } = repository({ auto: true });
  const groups = createCommitGroups({ batches, committedNothing: () => true, maxRows: 2 });
  await Promise.all(["a", "b", "c", "d", "e", "f"].map((id) => groups.commit(row(id))));
  assert.equal(calls.map((c) => c.ids), [["a"], ["b", "c"], ["d", "e"], ["f"]]);
});

test("a resource_version conflict fails only its own row, ALREADY_EXISTS", async () => {
  const { batches } = repository({ auto: true, conflicting: ["c"] });
  const groups = createCommitGroups({ batches, committedNothing: () => true });
  const outcomes = await Promise.allSettled(["a", "b", "c", "d"].map((id) => groups.commit(row(id, { resourceVersion: `v-${id}` }))));
  assert.equal(outcomes.map((o) => o.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  const err = (outcomes[2] as PromiseRejectedResult).reason as DomainError;
  assert.ok(err instanceof DomainError);
  assert.is(err.name, "AlreadyExists");
  assert.match(err.message, 'resource_version "v-c"');
});

test("a group that provably committed nothing is tried again row by row, so one bad row fails alone", async () => {
  const bad = new Error("PostgreSQL refused a value of row c");
  const { batches, calls } = repository({ auto: true, fail: (ids) => (ids.includes("c") ? bad : undefined) });
  const groups = createCommitGroups({ batches, committedNothing: (err) => err === bad });
  const first = groups.commit(row("a"));
  const rest = ["b", "c", "d"].map((id) => groups.commit(row(id)));
  await first;
  const outcomes = await Promise.allSettled(rest);
  assert.equal(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.is((outcomes[1] as PromiseRejectedResult).reason, bad);
  assert.equal(calls.map((c) => c.ids), [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]);
});

test("a failure that may have committed (outcome unknown) fails every row of the group and retries none", async () => {
  const lost = new Error("connection lost during COMMIT");
  const { batches, calls } = repository({ auto: true, fail: (ids) => (ids.length > 1 ? lost : undefined) });
  const groups = createCommitGroups({ batches, committedNothing: () => false });
  const first = groups.commit(row("a"));
  const rest = ["b", "c"].map((id) => groups.commit(row(id)));
  await first;
  const outcomes = await Promise.allSettled(rest);
  assert.equal(outcomes.map((o) => (o.status === "rejected" ? o.reason : o.status)), [lost, lost]);
  assert.equal(calls.map((c) => c.ids), [["a"], ["b", "c"]]);
});

test("a create whose call ended while it waited commits nothing; one already ended is refused at once", async () => {
  const { batches, calls } = repository();
  const groups = createCommitGroups({ batches, committedNothing: () => true });
  const first = groups.commit(row("a"));
  await settle();
  const ended = new AbortController();
  const dropped = groups.commit(row("b"), ended.signal).then(
    () => "committed",
    (err: Error) => err.message,
  );
  const kept = groups.commit(row("c"));
  ended.abort(new Error("client went away"));
  calls[0].release();
  await first;
  assert.is(await dropped, "client went away");
  await settle();
  calls[1].release();
  assert.is((await kept).id, "c");
  assert.equal(calls.map((c) => c.ids), [["a"], ["c"]]);
  assert.throws(() => groups.commit(row("d"), ended.signal), /client went away/);
});

test.run();
