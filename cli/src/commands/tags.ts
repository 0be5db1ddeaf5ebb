/** `tag add|rm|ls`: a snapshot's tags, and the store's tags with their live counts. */
import { addTags, listTags, removeTag, SnapshotSchema, TagCountSchema, toJson, type Snapshot, type TagCount } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { parseCount } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

function printTags(ctx: CliContext, s: Snapshot): void {
  if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, s));
  else ctx.out.print(`tags [${s.tags.join(", ")}] on ${s.snapshotId} (etag ${s.etag})`);
}

export const tagCommands: CommandGroup = {
  register(program, withContext) {
    const tag = program.command("tag").description("tags: add to or remove from a snapshot, list the store's tags with counts");
    tag
      .command("add")
      .description("add tags to a snapshot (kept in order, duplicates dropped)")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("<tags...>", "tags")
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, ref: string, tags: string[], o: { etag?: string }) => {
          printTags(ctx, await addTags(ctx.client(), { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref), tags, etag: o.etag }));
        }),
      );
    tag
      .command("rm")
      .description("remove a tag from a snapshot")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("<tag>", "the tag")
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, ref: string, name: string, o: { etag?: string }) => {
          printTags(ctx, await removeTag(ctx.client(), { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref), tag: name, etag: o.etag }));
        }),
      );
    tag
      .command("ls")
      .description("the store's tags with the number of live snapshots carrying each, most used first")
      .option("--prefix <prefix>", "only tags starting with this")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { prefix?: string; limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const tags = listTags(ctx.client(), { storeId: ctx.store(), prefix: o.prefix, pageSize: pageSizeFor(limit) });
          printList(ctx, await take(tags, limit), (t: TagCount) => toJson(TagCountSchema, t), ["tag", "snapshots"], (t) => [t.tag, String(t.count)]);
        }),
      );
  },
};
