import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { evaluateStore, MAX_EVALUATED_SNAPSHOTS, type EvaluationDeps } from "./evaluate-store.js";
import type { ScannedCandidate } from "./ports.js";
import { candidate, rule } from "../../../test/support/retention-candidates.js";
import type { Decision } from "./types.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

/** In-memory ports: the walk yields `rows` in order; positions are indexes. */
function ports(rows: ScannedCandidate[], over: Partial<EvaluationDeps> = {}): EvaluationDeps {
  return {
    candidates: {
      count: async () => rows.length,
      async *scan(_store, _now, after) {
        for (const [i, r] of rows.entries()) yield { ...r, afterCursor: after === undefined || i > Number(after) };
      },
    },
    protections: [],
    reclaim: { reclaimableBytes: async (_s, doomed) => doomed.length * 10 },
    ...over,
  };
}
const row = (id: string, resourceId: string, daysAgo: number, i: number): ScannedCandidate => ({
  ...candidate({ id, resourceId, createTime: day(daysAgo), version: 0 }),
  position: String(i),
  afterCursor: true,
});

const rows = [row("x1", "x", 30, 0), row("x2", "x", 20, 1), row("x3", "x", 1, 2), row("y1", "y", 40, 3), row("y2", "y", 2, 4)];
const sweep = [rule({ name: "sweep", deleteOlderThanDays: 7 })];

test("groups consecutive rows per resource, totals every decision, and visits them in walk order", async () => {
  const seen: string[] = [];
  const r = await evaluateStore(ports(rows), "s", sweep, NOW, { visit: (d) => seen.push(`${d.candidate.id}:${d.decision}`) });
  assert.equal(seen, ["x1:DELETE", "x2:DELETE", "x3:KEEP", "y1:DELETE", "y2:KEEP"]);
  assert.equal(r.totals, { consideredCount: 5, keepCount: 2, deleteCount: 3, deleteLogicalBytes: 300, reclaimableBytes: 30 });
  assert.equal(r.deletions.map((d) => d.candidate.id), ["x1", "x2", "y1"]);
});

test("protection sources plug in: a pending restore or approval keeps a snapshot", async () => {
  const asked: string[][] = [];
  const r = await evaluateStore(
    ports(rows, {
      protections: [
        {
          async protect(_s, ids) {
            asked.push([...ids]);
            return new Map([["x2", [{ kind: "PENDING_APPROVAL" as const, subjectId: "ap-1", description: "restore approval ap-1 is pending" }]]]);
          },
        },
      ],
    }),
    "s",
    sweep,
    NOW,
  );
  assert.equal(asked, [["x1", "x2", "x3", "y1", "y2"]], "one lookup for the batch of groups");
  assert.equal(r.deletions.map((d) => d.candidate.id), ["x1", "y1"]);
});

test("the lineage source keeps parents of kept snapshots, and the totals follow", async () => {
  const visited: Decision[] = [];
  const r = await evaluateStore(
    ports(rows, { lineage: { parentsOfKept: async (_s, ids) => new Map(ids.has("y1") ? [["y1", "x3"]] : []) } }),
    "s",
    sweep,
    NOW,
    { visit: (d) => visited.push(d) },
  );
  assert.equal(r.deletions.map((d) => d.candidate.id), ["x1", "x2"]);
  assert.equal({ keep: r.totals.keepCount, del: r.totals.deleteCount }, { keep: 3, del: 2 });
  assert.is(visited.find((d) => d.candidate.id === "y1")!.decision, "KEEP", "the visited decision object is updated");
});

test("a store beyond the bound is RESOURCE_EXHAUSTED before anything is read", async () => {
  const deps = ports([]);
  deps.candidates.count = async () => MAX_EVALUATED_SNAPSHOTS + 1;
  const err = await evaluateStore(deps, "s", sweep, NOW).then(() => undefined, (e: unknown) => e);
  assert.ok(isDomainError(err, "ResourceExhausted") && err.details.reason === "RETENTION_TOO_LARGE");
});

test.run();
