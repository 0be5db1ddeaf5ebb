/** `lineage` (the graph around a snapshot or a resource, as a tree or --json) and `consume` (RegisterConsumer). */
import { create, GetLineageResponseSchema, getLineage, LineageDirection, LineageEdgeSchema, registerConsumer, toJson } from "@vellum/sdk";
import { Option } from "commander";
import type { CommandGroup } from "../command.js";
import { CliError } from "../exit-codes.js";
import { enumValue, parseCount, parseResource } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";
import { renderLineage } from "../render-lineage.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const lineageCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("lineage")
      .description("where a snapshot or resource comes from and where it went: versions, jobs, compositions, restores, imports, consumers")
      .argument("<target>", "a snapshot id or <type>/<id>@<version>, or a resource <type>/<id> (all of its snapshots and versions)")
      .addOption(new Option("--direction <direction>", "upstream, downstream or both").default("both"))
      .option("--depth <n>", "hops from the target (at most 10)", "3")
      .option("--max-nodes <n>", "most nodes (at most 5000)", "500")
      .action(
        withContext(async (ctx, target: string, o: { direction: string; depth: string; maxNodes: string }) => {
          const storeId = ctx.store();
          const direction = enumValue(LineageDirection, "--direction", o.direction);
          const root = UUID.test(target) || target.includes("@") ? { snapshotId: await resolveSnapshotId(ctx, target) } : resourceRoot(target);
          const req = { storeId, ...root, direction, depth: parseCount(o.depth, "--depth"), maxNodes: parseCount(o.maxNodes, "--max-nodes") };
          const g = await getLineage(ctx.client(), req);
          if (ctx.out.json) {
            ctx.out.printJson(toJson(GetLineageResponseSchema, create(GetLineageResponseSchema, { nodes: g.nodes, edges: g.edges, truncated: g.truncated })));
            return;
          }
          const summary = `${g.nodes.length} nodes, ${g.edges.length} edges${g.truncated ? "; truncated: more lineage exists (raise --max-nodes or lower --depth)" : ""}`;
          ctx.out.print([...renderLineage(g, ctx.out.style), ctx.out.style("dim", summary)].join("\n"));
        }),
      );

    program
      .command("consume")
      .description("record that a consumer (a CDN publish, an index build) uses a snapshot, or a resource's newest live snapshot")
      .argument("<target>", SNAPSHOT_REF_HELP)
      .argument("<consumer>", "the consumer's name, e.g. cdn:storefront-eu")
      .option("--note <text>", "a note kept on the lineage edge")
      .action(
        withContext(async (ctx, target: string, consumer: string, o: { note?: string }) => {
          const res = await registerConsumer(ctx.client(), { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, target), consumer, note: o.note });
          if (ctx.out.json) ctx.out.printJson({ snapshotId: res.snapshotId, alreadyRegistered: res.alreadyRegistered, edge: res.edge ? toJson(LineageEdgeSchema, res.edge) : null });
          else ctx.out.print(`${res.alreadyRegistered ? "already registered" : "registered"}: ${res.snapshotId} → ${consumer}`);
        }),
      );
  },
};

function resourceRoot(target: string): { resourceType: string; resourceId: string } {
  const r = parseResource(target);
  if (!r.id) throw new CliError(`a lineage target is a snapshot id, <type>/<id>@<version>, or a resource <type>/<id>; got ${JSON.stringify(target)}`);
  return { resourceType: r.type, resourceId: r.id };
}
