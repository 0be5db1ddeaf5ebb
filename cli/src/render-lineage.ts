/**
 * A lineage graph as a text tree: each root, then its neighbours, upstream (←, where it came from)
 * and downstream (→, what came of it), each followed on in its own direction. A node already shown
 * in that direction, or a root, is named again but not expanded, so cycles print once.
 */
import { JobState, JobType, LineageEdgeKind, LineageNodeKind, lineageKey, SnapshotType, type LineageGraph, type LineageLink, type LineageNode } from "@vellum/sdk";
import type { Output } from "./output.js";
import { enumName } from "./parse.js";

type Way = "up" | "down";
type Style = Output["style"];

const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** One line describing a node: its kind, id and what the store knows of it. */
export function lineageNodeLabel(n: LineageNode, style: Style): string {
  const kind = enumName(LineageNodeKind, n.ref?.kind ?? 0);
  const id = n.ref?.id ?? "";
  const gone = (what: string) => style("red", `(${what})`);
  if (n.snapshot) {
    const s = n.snapshot;
    const resource = s.resourceId ? `${s.resourceType}/${s.resourceId}${s.version ? `@${s.version}` : ""}` : s.resourceType;
    const message = s.metadata?.commitMessage ? ` "${short(s.metadata.commitMessage.split("\n")[0], 40)}"` : "";
    return `snapshot ${id} ${resource} ${enumName(SnapshotType, s.snapshotType)}${message}${n.deleted ? ` ${gone("deleted")}` : ""}`;
  }
  if (n.job) return `job ${id} ${enumName(JobType, n.job.type)} ${enumName(JobState, n.job.state)}`;
  if (n.version) return `version ${id} by ${n.version.authorId}`;
  return `${kind} ${id}${n.purged ? ` ${gone("purged")}` : ""}`;
}

/** The tree lines of `g` (without a header). */
export function renderLineage(g: LineageGraph, style: Style): string[] {
  const lines: string[] = [];
  const rootKeys = new Set(g.roots.map((n) => lineageKey(n.ref)));
  // A version whose snapshot is a root is shown under that snapshot (→ VERSION_OF), not on its own.
  const printed = g.roots.filter(
    (r) => r.ref?.kind !== LineageNodeKind.VERSION || !g.parents(r.ref).some((p) => p.edge.kind === LineageEdgeKind.VERSION_OF && rootKeys.has(lineageKey(p.node.ref))),
  );
  const roots = new Set(printed.map((n) => lineageKey(n.ref)));
  const shown: Record<Way, Set<string>> = { up: new Set(), down: new Set() };
  const linksOf = (n: LineageNode, way: Way) => (way === "up" ? g.parents(n.ref!) : g.children(n.ref!)).map((link) => ({ link, way }));

  const branch = (items: { link: LineageLink; way: Way }[], prefix: string) => {
    items.forEach(({ link, way }, i) => {
      const last = i === items.length - 1;
      const key = lineageKey(link.node.ref);
      const again = roots.has(key) ? " (root)" : shown[way].has(key) ? " (see above)" : "";
      const edge = style("cyan", enumName(LineageEdgeKind, link.edge.kind).toUpperCase());
      const note = link.edge.note ? ` ${style("dim", `"${short(link.edge.note, 60)}"`)}` : "";
      lines.push(`${prefix}${last ? "└─" : "├─"} ${way === "up" ? "←" : "→"} ${edge} ${lineageNodeLabel(link.node, style)}${note}${again}`);
      if (again) return;
      shown[way].add(key);
      branch(linksOf(link.node, way), prefix + (last ? "   " : "│  "));
    });
  };

  for (const root of printed) {
    lines.push(style("bold", lineageNodeLabel(root, style)));
    branch([...linksOf(root, "up"), ...linksOf(root, "down")], "");
  }
  return lines;
}
