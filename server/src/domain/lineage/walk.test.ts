/**
 * The lineage walk over random graphs with cycles, self-loops, repeated edges and hubs: it ends,
 * stays within its depth, node and edge limits, returns only edges between returned nodes, makes a
 * bounded number of reads, and, when not truncated, returns exactly what a reference breadth-first
 * search per direction finds (the union of both for BOTH, distances the smaller of the two).
 */
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Version } from "../snapshots/types.js";
import { nodeKey, versionNodeId, type Direction, type GraphEdge, type LineageEdgeSource, type NodeRef } from "./graph-types.js";
import { walkLineage, type WalkNode } from "./walk.js";

const KINDS = ["SNAPSHOT", "JOB", "CONSUMER", "RESOURCE", "EXTERNAL"] as const;
const T0 = new Date("2025-01-01T00:00:00Z");

interface World {
  stored: GraphEdge[];
  versions: Version[];
}

const refArb = (size: number) => fc.record({ kind: fc.constantFrom(...KINDS), id: fc.integer({ min: 0, max: size - 1 }).map(String) });

const worldArb = fc.integer({ min: 1, max: 12 }).chain((size) =>
  fc.record({
    stored: fc.array(
      fc.record({
        kind: fc.constantFrom("PRODUCED_BY", "COMPOSED_FROM", "RESTORED_FROM", "CONSUMED_BY"),
        from: refArb(size),
        to: refArb(size),
        ordinal: fc.integer({ min: 0, max: 1 }),
      }),
      { maxLength: 40 },
    ),
    versions: fc.uniqueArray(fc.record({ snap: fc.integer({ min: 0, max: size - 1 }), n: fc.integer({ min: 1, max: 3 }) }), {
      maxLength: 8,
      selector: (v) => v.n,
    }),
  }).map(
    ({ stored, versions }): World => ({
      stored: stored.map((e) => ({ ...e, note: "", createTime: T0 })),
      versions: versions.map(({ snap, n }) => ({
        storeId: "s",
        resourceType: "product",
        resourceId: "p",
        version: n,
        snapshotId: String(snap),
        authorId: "a",
        notes: "",
        message: "",
        createTime: T0,
      })),
    }),
  ),
);

/** The port over arrays, honouring its contract (per-node record order, `limit` in all); counts reads. */
function memorySource(w: World) {
  const reads = { n: 0 };
  const source: LineageEdgeSource = {
    async edges(_store, nodes, direction, limit) {
      reads.n++;
      const out: GraphEdge[] = [];
      for (const n of nodes) {
        for (const e of w.stored) {
          const near = direction === "DOWNSTREAM" ? e.from : e.to;
          if (nodeKey(near) === nodeKey(n)) out.push(e);
          if (out.length >= limit) return out;
        }
      }
      return out;
    },
    async versionsOf(_store, ids, limit) {
      reads.n++;
      return w.versions.filter((v) => ids.includes(v.snapshotId)).slice(0, limit);
    },
  };
  return { source, reads };
}

const versionEdge = (v: Version): GraphEdge => ({
  kind: "VERSION_OF",
  from: { kind: "SNAPSHOT", id: v.snapshotId },
  to: { kind: "VERSION", id: versionNodeId(v) },
  ordinal: 0,
  note: "",
  createTime: T0,
});
const edgeKey = (e: GraphEdge) => `${e.kind}|${nodeKey(e.from)}|${nodeKey(e.to)}|${e.ordinal}`;

/** Breadth-first search per direction over every edge; the expected nodes, distances and edges. */
function reference(w: World, roots: NodeRef[], direction: Direction, depth: number) {
  const all = [...w.stored, ...w.versions.map(versionEdge)];
  const distance = new Map<string, number>(roots.map((r) => [nodeKey(r), 0]));
  const edges = new Set<string>();
  for (const way of direction === "BOTH" ? (["UPSTREAM", "DOWNSTREAM"] as const) : [direction]) {
    const seen = new Set(roots.map(nodeKey));
    let front = roots.map(nodeKey);
    for (let hop = 1; hop <= depth && front.length; hop++) {
      const next: string[] = [];
      for (const e of all) {
        const [near, far] = way === "DOWNSTREAM" ? [e.from, e.to] : [e.to, e.from];
        if (!front.includes(nodeKey(near))) continue;
        edges.add(edgeKey(e));
        const k = nodeKey(far);
        distance.set(k, Math.min(distance.get(k) ?? Infinity, hop));
        if (!seen.has(k)) {
          seen.add(k);
          next.push(k);
        }
      }
      front = next;
    }
  }
  return { distance, edges };
}

const limitsArb = fc.record({
  depth: fc.integer({ min: 0, max: 5 }),
  maxNodes: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(1000)),
  maxEdges: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(1000)),
});

test("the walk ends on cyclic graphs, respects its bounds, and matches breadth-first search when not truncated", async () => {
  await fc.assert(
    fc.asyncProperty(
      worldArb,
      limitsArb,
      fc.constantFrom<Direction>("UPSTREAM", "DOWNSTREAM", "BOTH"),
      fc.integer({ min: 0, max: 11 }),
      fc.boolean(),
      async (w, limits, direction, rootId, versionRoot) => {
        const v = w.versions[0];
        const roots: WalkNode[] =
          versionRoot && v
            ? [{ ref: { kind: "VERSION", id: versionNodeId(v) }, distance: 0, root: true, version: v }, { ref: { kind: "SNAPSHOT", id: v.snapshotId }, distance: 0, root: true }]
            : [{ ref: { kind: "SNAPSHOT", id: String(rootId) }, distance: 0, root: true }];
        const { source, reads } = memorySource(w);
        const got = await walkLineage(source, "s", roots, direction, limits);

        assert.ok(got.nodes.length <= limits.maxNodes, "node limit");
        assert.ok(got.edges.length <= limits.maxEdges, "edge limit");
        const ways = direction === "BOTH" ? 2 : 1;
        assert.ok(reads.n <= 2 * ways * limits.depth, `bounded reads: ${reads.n}`);
        const keys = new Set(got.nodes.map((n) => nodeKey(n.ref)));
        assert.is(keys.size, got.nodes.length, "each node once");
        for (const n of got.nodes) assert.ok(n.distance <= limits.depth && n.distance >= 0, "within depth");
        for (const e of got.edges) assert.ok(keys.has(nodeKey(e.from)) && keys.has(nodeKey(e.to)), "edges between returned nodes");
        assert.is(new Set(got.edges.map(edgeKey)).size, got.edges.length, "each edge once");

        const want = reference(w, roots.slice(0, limits.maxNodes).map((r) => r.ref), direction, limits.depth);
        for (const n of got.nodes) assert.ok(want.distance.has(nodeKey(n.ref)), "only reachable nodes");
        for (const e of got.edges) assert.ok(want.edges.has(edgeKey(e)), "only traversed edges");
        if (!got.truncated) {
          assert.equal(new Map(got.nodes.map((n) => [nodeKey(n.ref), n.distance])), want.distance);
          assert.equal(new Set(got.edges.map(edgeKey)), want.edges);
        }
      },
    ),
    { numRuns: 600 },
  );
});

test("a two-node cycle at depth 10 is walked once each way; a hub is cut at the edge limit and reported", async () => {
  const a = { kind: "SNAPSHOT", id: "a" };
  const b = { kind: "RESOURCE", id: "b" };
  const cycle: World = {
    stored: [
      { kind: "RESTORED_FROM", from: a, to: b, ordinal: 0, note: "", createTime: T0 },
      { kind: "CAPTURED_FROM", from: b, to: a, ordinal: 0, note: "", createTime: T0 },
    ],
    versions: [],
  };
  const { source, reads } = memorySource(cycle);
  const got = await walkLineage(source, "s", [{ ref: a, distance: 0, root: true }], "BOTH", { depth: 10, maxNodes: 100, maxEdges: 100 });
  assert.equal(got.nodes.map((n) => [n.ref.id, n.distance]), [["a", 0], ["b", 1]]);
  assert.is(got.edges.length, 2);
  assert.not.ok(got.truncated);
  assert.ok(reads.n <= 6, `the walk stops once nothing is new: ${reads.n} reads`);

  const hub: World = {
    stored: Array.from({ length: 50 }, (_, i) => ({ kind: "CONSUMED_BY", from: a, to: { kind: "CONSUMER", id: `c${i}` }, ordinal: 0, note: "", createTime: T0 })),
    versions: [],
  };
  const cut = await walkLineage(memorySource(hub).source, "s", [{ ref: a, distance: 0, root: true }], "DOWNSTREAM", { depth: 3, maxNodes: 100, maxEdges: 8 });
  assert.ok(cut.truncated);
  assert.is(cut.edges.length, 8);
  assert.equal(cut.nodes.slice(1).map((n) => n.ref.id), ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"], "the first edges in record order");
});

test.run();
