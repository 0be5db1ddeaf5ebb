/** `verify` and `check`: re-reading stored content as jobs. */
import type { CommandGroup } from "../command.js";
import { followJob } from "../job-watch.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

export const integrityCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("verify")
      .description("re-read a snapshot and check its hashes (a job; waits for it unless --no-wait)")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .option("--no-wait", "print the queued job and return")
      .action(
        withContext(async (ctx, ref: string, o: { wait: boolean }) => {
          const { job } = await ctx.client().snapshots.verifySnapshot({ storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref) });
          await followJob(ctx, job!, o.wait, "verify");
        }),
      );
    program
      .command("check")
      .description("re-read every chunk of the store and check every manifest (a job; waits unless --no-wait)")
      .option("--no-wait", "print the queued job and return")
      .action(
        withContext(async (ctx, o: { wait: boolean }) => {
          const { job } = await ctx.client().snapshots.checkStore({ storeId: ctx.store() });
          await followJob(ctx, job!, o.wait, "check");
        }),
      );
  },
};
