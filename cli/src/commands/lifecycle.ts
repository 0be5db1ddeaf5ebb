/** `undelete`, `hold` and `release`: the undelete window and legal holds. */
import { SnapshotSchema, toJson, type Snapshot } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";

const UUID_HELP = "snapshot id";

function printChange(ctx: CliContext, what: string, s: Snapshot): void {
  if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, s));
  else ctx.out.print(`${what} ${s.snapshotId} (etag ${s.etag})`);
}

export const lifecycleCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("undelete")
      .description("bring back a soft-deleted snapshot within the undelete window")
      .argument("<snapshot>", UUID_HELP)
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, snapshotId: string, o: { etag?: string }) => {
          const { snapshot } = await ctx.client().snapshots.undeleteSnapshot({ storeId: ctx.store(), snapshotId, etag: o.etag });
          printChange(ctx, "undeleted", snapshot!);
        }),
      );
    program
      .command("hold")
      .description("put a snapshot on legal hold: TTL and retention rules ignore it and it cannot be deleted")
      .argument("<snapshot>", UUID_HELP)
      .requiredOption("--reason <text>", "why (kept in the audit log)")
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, snapshotId: string, o: { reason: string; etag?: string }) => {
          const { snapshot } = await ctx.client().snapshotAdmin.setLegalHold({ storeId: ctx.store(), snapshotId, reason: o.reason, etag: o.etag });
          printChange(ctx, "held", snapshot!);
        }),
      );
    program
      .command("release")
      .description("release a legal hold")
      .argument("<snapshot>", UUID_HELP)
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, snapshotId: string, o: { etag?: string }) => {
          const { snapshot } = await ctx.client().snapshotAdmin.releaseLegalHold({ storeId: ctx.store(), snapshotId, etag: o.etag });
          printChange(ctx, "released", snapshot!);
        }),
      );
  },
};
