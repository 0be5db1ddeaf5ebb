/** `search`: full-text search with filters, scores, highlighted fields and facets; `--sample` for a varied sample. */
import {
  sampleSnapshots,
  SearchFacetsSchema,
  searchSnapshots,
  SearchResultSchema,
  SnapshotSchema,
  SnapshotType,
  timestampFromDate,
  toJson,
  type SearchFacets,
  type SearchResult,
} from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { printList, take } from "../listing.js";
import { collect, enumName, enumValue, parseCount, parseLabels, parseTime } from "../parse.js";
import { SNAPSHOT_HEAD, snapshotRow } from "../render.js";

interface SearchOptions {
  resourceType?: string;
  type?: string;
  tag?: string[];
  createdBy?: string;
  since?: string;
  until?: string;
  label?: string[];
  limit: string;
  sample?: boolean;
}

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

/** A highlight fragment for a terminal: matches bold (or *between stars* without colour), HTML entities decoded. */
export function terminalHighlight(fragment: string, ctx: CliContext): string {
  const plain = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
  return fragment
    .split(/(<em>.*?<\/em>)/)
    .map((part) => {
      const m = /^<em>(.*)<\/em>$/.exec(part);
      if (!m) return plain(part);
      const styled = ctx.out.style("bold", plain(m[1]));
      return styled === plain(m[1]) ? `*${styled}*` : styled;
    })
    .join("");
}

function resultRow(ctx: CliContext, r: SearchResult): string[] {
  const s = r.snapshot!;
  const matches = Object.entries(r.highlights).flatMap(([field, h]) => h.fragments.map((f) => `${field}: ${terminalHighlight(f, ctx)}`));
  return [r.score.toFixed(3), s.snapshotId, s.resourceId ? `${s.resourceType}/${s.resourceId}` : s.resourceType, s.version ? String(s.version) : "", matches.join("\n")];
}

function facetLines(f: SearchFacets | undefined): string[] {
  const list = (counts: { value: string; count: bigint }[]) => counts.map((c) => `${c.value} ${c.count}`).join(", ");
  if (!f) return [];
  return [
    ["resource type", list(f.resourceTypes)],
    ["type", list(f.snapshotTypes.map((c) => ({ value: enumName(SnapshotType, c.snapshotType), count: c.count })))],
    ["tag", list(f.tags)],
    ["created by", list(f.createdBy)],
  ]
    .filter(([, v]) => v)
    .map(([k, v]) => `  ${k.padEnd(15)}${v}`);
}

export const searchCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("search")
      .description("full-text search over commit messages, resources, tags, labels, annotations and creators (words match as prefixes)")
      .argument("[words...]", "what to look for; none lists every match of the filters, newest first")
      .option("--resource-type <type>", "only this resource type")
      .option("--type <type>", "only this content type (json, tar, db, index, asset, blob)")
      .option("--tag <tag>", "only snapshots carrying this tag (repeatable: all of them)", collect)
      .option("--created-by <principal>", "only snapshots created by this principal")
      .option("--since <time>", "only snapshots created at or after this time (a date, or a duration ago like 7d)")
      .option("--until <time>", "only snapshots created before this time")
      .option("--label <key=value>", "only snapshots whose labels contain this (repeatable)", collect)
      .option("--limit <n>", "at most this many results (0 for all)", "20")
      .option("--sample", "a small recent sample varied across resources and types instead (words are ignored; at most 100)")
      .action(
        withContext(async (ctx, words: string[], o: SearchOptions) => {
          const limit = parseCount(o.limit, "--limit");
          const filters = {
            resourceType: o.resourceType,
            snapshotType: o.type ? enumValue(SnapshotType, "--type", o.type) : undefined,
            tags: o.tag ?? [],
            createdBy: o.createdBy,
            since: o.since ? timestampFromDate(parseTime(o.since)) : undefined,
            until: o.until ? timestampFromDate(parseTime(o.until)) : undefined,
            labelsMatch: parseLabels(o.label),
          };
          if (o.sample) {
            const sample = await sampleSnapshots(ctx.client(), { storeId: ctx.store(), limit: Math.min(limit || 100, 100), filters });
            printList(ctx, sample, (s) => toJson(SnapshotSchema, s), SNAPSHOT_HEAD, snapshotRow);
            return;
          }
          const search = searchSnapshots(ctx.client(), { storeId: ctx.store(), q: words.join(" "), filters, pageSize: limit === 0 || limit > 100 ? 100 : limit });
          const results = await take(search, limit);
          const { totalSize, facets } = await search.summary();
          if (ctx.out.json) {
            ctx.out.printJson({ totalSize: String(totalSize), facets: facets ? toJson(SearchFacetsSchema, facets) : null, results: results.map((r) => toJson(SearchResultSchema, r)) });
            return;
          }
          ctx.out.print(`${totalSize} match${totalSize === 1n ? "" : "es"}${BigInt(results.length) < totalSize ? ` (showing ${results.length})` : ""}`);
          if (results.length) ctx.out.table(["score", "snapshot", "resource", "version", "matches"], results.map((r) => resultRow(ctx, r)));
          const lines = facetLines(facets);
          if (lines.length) ctx.out.print(["facets", ...lines].join("\n"));
        }),
      );
  },
};
