/** `share`: a signed, expiring, revocable link to a snapshot. */
import { ShareAccess, ShareSchema, toJson } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { collect, parseDuration } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";
import { shareLines } from "../render.js";

export const shareCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("share")
      .description("create a share link: a signed download URL that expires and can be revoked")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .option("--expires <duration>", "lifetime, e.g. 30m, 1h, 7d (at most 30d)", "1d")
      .option("--read-only", "metadata only (ResolveShare), no download URL")
      .option("--allow-ip <cidr>", "only clients from this address or CIDR (repeatable)", collect)
      .option("--note <text>", "note for the recipient")
      .action(
        withContext(async (ctx, ref: string, o: { expires: string; readOnly?: boolean; allowIp?: string[]; note?: string }) => {
          const res = await ctx.client().shares.shareSnapshot({
            storeId: ctx.store(),
            snapshotId: await resolveSnapshotId(ctx, ref),
            expiresInSeconds: BigInt(parseDuration(o.expires, "--expires")),
            access: o.readOnly ? ShareAccess.READ : ShareAccess.DOWNLOAD,
            allowedIps: o.allowIp ?? [],
            note: o.note,
          });
          if (ctx.out.json) ctx.out.printJson({ share: res.share ? toJson(ShareSchema, res.share) : null, shareToken: res.shareToken, signedUrl: res.signedUrl });
          else ctx.out.print(shareLines(res.share, res.shareToken, res.signedUrl));
        }),
      );
  },
};
