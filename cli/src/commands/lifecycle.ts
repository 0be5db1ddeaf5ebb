/** `undelete`, `hold`, `release`, `tier` and `rehydrate`: the undelete window, legal holds, storage classes. */
import { SnapshotSchema, StorageClass, toJson, type Snapshot } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { watchJob } from "../job-watch.js";
import { enumValue } from "../parse.js";

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
    program
      .command("tier")
      .description("move a snapshot to a storage class (standard, cold, archive) and follow the job that moves its packs")
      .argument("<snapshot>", UUID_HELP)
      .argument("<class>", "standard, cold or archive")
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .option("--no-wait", "return once the class is set, without following the move")
      .action(
        withContext(async (ctx, snapshotId: string, cls: string, o: { etag?: string; wait: boolean }) => {
          const storageClass = enumValue(StorageClass, "<class>", cls);
          const { snapshot, job } = await ctx.client().storage.setStorageClass({ storeId: ctx.store(), snapshotId, storageClass, etag: o.etag });
          if (job && o.wait) await watchJob(ctx, job.jobId, "moving packs");
          else printChange(ctx, `${cls.toLowerCase()}:`, snapshot!);
        }),
      );
    program
      .command("rehydrate")
      .description("bring an ARCHIVE snapshot back to STANDARD and follow the job; it reads again once the job succeeded")
      .argument("<snapshot>", UUID_HELP)
      .action(
        withContext(async (ctx, snapshotId: string) => {
          const { job } = await ctx.client().storage.rehydrateSnapshot({ storeId: ctx.store(), snapshotId });
          await watchJob(ctx, job!.jobId, "rehydrating");
        }),
      );
  },
};
