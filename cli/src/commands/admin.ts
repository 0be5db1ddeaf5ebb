/** `pin`, `unpin`, `lock`, `unlock` and `tag`: metadata changes, guarded by etags. */
import { SnapshotSchema, toJson, type Snapshot } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { CliError } from "../exit-codes.js";
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

    program
      .command("tag")
      .description("add tags to a snapshot (or remove them with --remove)")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("<tags...>", "tags")
      .option("--remove", "remove the tags instead of adding them")
      .action(
        withContext(async (ctx, ref: string, tags: string[], o: { remove?: boolean }) => {
          const storeId = ctx.store();
          const snapshotId = await resolveSnapshotId(ctx, ref);
          const { snapshot: current } = await ctx.client().snapshots.getSnapshot({ storeId, snapshotId });
          if (!current) throw new CliError(`snapshot ${snapshotId} vanished`);
          const next = o.remove ? current.tags.filter((t) => !tags.includes(t)) : [...new Set([...current.tags, ...tags])];
          // The etag read above makes a concurrent tag change fail (ABORTED) instead of being overwritten.
          const { snapshot } = await ctx.client().snapshotAdmin.updateSnapshot({
            storeId,
            snapshotId,
            etag: current.etag,
            tags: next,
            updateMask: { paths: ["tags"] },
          });
          printChange(ctx, `tags [${snapshot!.tags.join(", ")}] on`, snapshot!);
        }),
      );
  },
};
