/** `pin`, `unpin`, `lock`, `unlock`: protections, guarded by etags (tags: tags.ts). */
import { SnapshotSchema, toJson, type Snapshot } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

function printChange(ctx: CliContext, what: string, s: Snapshot): void {
  if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, s));
  else ctx.out.print(`${what} ${s.snapshotId} (etag ${s.etag})`);
}

const TOGGLES = [
  ["pin", "pinned", "pin a snapshot: retention and garbage collection never remove it, and it cannot be deleted", "pinSnapshot"],
  ["unpin", "unpinned", "remove a pin", "unpinSnapshot"],
  ["lock", "locked", "lock a snapshot (legal hold): it cannot be deleted until unlocked", "lockSnapshot"],
  ["unlock", "unlocked", "remove a lock", "unlockSnapshot"],
] as const;

export const adminCommands: CommandGroup = {
  register(program, withContext) {
    for (const [name, done, description, method] of TOGGLES) {
      program
        .command(name)
        .description(description)
        .argument("<snapshot>", SNAPSHOT_REF_HELP)
        .option("--etag <etag>", "only if the snapshot's etag is still this")
        .action(
          withContext(async (ctx, ref: string, o: { etag?: string }) => {
            const req = { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref), etag: o.etag };
            const { snapshot } = await ctx.client().snapshotAdmin[method](req);
            printChange(ctx, done, snapshot!);
          }),
        );
    }
  },
};
