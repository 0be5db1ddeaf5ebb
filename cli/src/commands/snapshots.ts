/** `ls`, `log`, `show` and `rm`: reading and deleting snapshots. */
import { listSnapshots, listVersions, SnapshotSchema, SnapshotType, timestampFromDate, toJson, VersionSchema, type Snapshot, type Version } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { CliError } from "../exit-codes.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { collect, enumValue, parseCount, parseLabels, parseResource, parseTime } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";
import { SNAPSHOT_HEAD, snapshotDetails, snapshotRow, VERSION_HEAD, versionRow } from "../render.js";

interface LsOptions {
  resource?: string;
  tag?: string;
  type?: string;
  createdBy?: string;
  since?: string;
  until?: string;
  minSize?: string;
  jobId?: string;
  label?: string[];
  deleted?: boolean;
  limit: string;
}

export const snapshotCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("ls")
      .description("list snapshots of the store, newest first")
      .option("--resource <type[/id]>", "only this resource type, or resource")
      .option("--tag <tag>", "only snapshots with this tag")
      .option("--type <type>", "only this content type (json, tar, db, index, asset, blob)")
      .option("--created-by <principal>", "only snapshots created by this principal")
      .option("--since <time>", "only snapshots created at or after this time (a date, or a duration ago like 7d)")
      .option("--until <time>", "only snapshots created before this time")
      .option("--min-size <bytes>", "only snapshots of at least this many bytes")
      .option("--job-id <id>", "only snapshots whose metadata names this producer job")
      .option("--label <key=value>", "only snapshots whose labels contain this (repeatable)", collect)
      .option("--deleted", "include soft-deleted snapshots")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: LsOptions) => {
          const resource = o.resource ? parseResource(o.resource) : undefined;
          const labels = parseLabels(o.label);
          const limit = parseCount(o.limit, "--limit");
          const items = listSnapshots(ctx.client(), {
            storeId: ctx.store(),
            pageSize: pageSizeFor(limit),
            resourceType: resource?.type,
            resourceId: resource?.id,
            tag: o.tag,
            createdBy: o.createdBy,
            snapshotType: o.type ? enumValue(SnapshotType, "--type", o.type) : undefined,
            since: o.since ? timestampFromDate(parseTime(o.since)) : undefined,
            until: o.until ? timestampFromDate(parseTime(o.until)) : undefined,
            minSize: o.minSize ? BigInt(parseCount(o.minSize, "--min-size")) : undefined,
            jobId: o.jobId,
            labelsMatch: labels,
            showDeleted: o.deleted ?? false,
          });
          printList(ctx, await take(items, limit), (s: Snapshot) => toJson(SnapshotSchema, s), SNAPSHOT_HEAD, snapshotRow);
        }),
      );

    program
      .command("log")
      .description("version history of a resource, oldest first")
      .argument("<resource>", "<resource_type>/<resource_id>")
      .option("--limit <n>", "at most this many (0 for all)", "0")
      .action(
        withContext(async (ctx, ref: string, o: { limit: string }) => {
          const resource = parseResource(ref);
          if (!resource.id) throw new CliError("log needs <resource_type>/<resource_id>");
          const limit = parseCount(o.limit, "--limit");
          const versions = listVersions(ctx.client(), { storeId: ctx.store(), resourceType: resource.type, resourceId: resource.id, pageSize: pageSizeFor(limit) });
          printList(ctx, await take(versions, limit), (v: Version) => toJson(VersionSchema, v), VERSION_HEAD, versionRow);
        }),
      );

    program
      .command("show")
      .description("a snapshot's metadata")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .action(
        withContext(async (ctx, ref: string) => {
          const { snapshot } = await ctx.client().snapshots.getSnapshot({ storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref) });
          if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, snapshot!));
          else ctx.out.details(snapshotDetails(snapshot!));
        }),
      );

    program
      .command("rm")
      .description("delete a snapshot: soft delete, or permanently with --force")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .option("--force", "remove it and its versions permanently")
      .option("--etag <etag>", "only if the snapshot's etag is still this")
      .action(
        withContext(async (ctx, ref: string, o: { force?: boolean; etag?: string }) => {
          const snapshotId = await resolveSnapshotId(ctx, ref);
          const { snapshot } = await ctx.client().snapshots.deleteSnapshot({ storeId: ctx.store(), snapshotId, force: o.force ?? false, etag: o.etag });
          if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, snapshot!));
          else ctx.out.print(`${o.force ? "removed" : "deleted"} ${snapshotId}`);
        }),
      );
  },
};
