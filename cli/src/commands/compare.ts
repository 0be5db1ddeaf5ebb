/** `diff` and `preview`: comparing snapshots and looking into one. */
import { CompareResultSchema, DiffFormat, JobSchema, PreviewSnapshotResponseSchema, PreviewType, toJson } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { collect, enumValue, parseCount } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

interface DiffOptions {
  format: string;
  context?: string;
  ignore?: string[];
  matchKey?: string[];
}

export const compareCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("diff")
      .description("compare two snapshots; large inputs are compared by a job (see `vellum jobs watch`)")
      .argument("<a>", `the old snapshot: ${SNAPSHOT_REF_HELP}`)
      .argument("<b>", "the new snapshot, the same way")
      .option("--format <format>", "unified, json, word, html or chunks", "unified")
      .option("--context <lines>", "unchanged lines around each change (unified and html)")
      .option("--ignore <pointer>", "JSON only: leave out members at this JSON Pointer glob, e.g. /**/updated_at (repeatable)", collect)
      .option("--match-key <name>", "JSON only: match array elements by this member, e.g. id (repeatable)", collect)
      .action(
        withContext(async (ctx, a: string, b: string, o: DiffOptions) => {
          const format = enumValue(DiffFormat, "--format", o.format);
          const [left, right] = [await resolveSnapshotId(ctx, a), await resolveSnapshotId(ctx, b)];
          const res = await ctx.client().compare.compareSnapshots({
            storeId: ctx.store(),
            leftSnapshotId: left,
            rightSnapshotId: right,
            format,
            options: {
              context: o.context === undefined ? undefined : parseCount(o.context, "--context"),
              ignorePaths: o.ignore ?? [],
              arrayMatchKey: o.matchKey ?? [],
            },
          });
          if (res.outcome.case === "job") {
            const job = res.outcome.value;
            if (ctx.out.json) ctx.out.printJson({ job: toJson(JobSchema, job) });
            else ctx.out.print(`the comparison runs as job ${job.jobId}: follow it with \`vellum jobs watch ${job.jobId}\``);
            return;
          }
          const result = res.outcome.value!;
          const body = result.body;
          if (ctx.out.json) ctx.out.printJson({ result: toJson(CompareResultSchema, result) });
          else if (body.case === "unified" || body.case === "html") {
            if (body.value) ctx.out.print(body.value);
          } else ctx.out.printJson(toJson(CompareResultSchema, result));
        }),
      );

    program
      .command("preview")
      .description("a short, redacted preview of a snapshot's content")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .option("--as <type>", "read the content as auto, json, text, tar or binary", "auto")
      .option("--max-bytes <n>", "upper bound on the preview's size", "65536")
      .option("--sensitive", "show masked values (needs snapshot:admin; audited)")
      .action(
        withContext(async (ctx, ref: string, o: { as: string; maxBytes: string; sensitive?: boolean }) => {
          const res = await ctx.client().compare.previewSnapshot({
            storeId: ctx.store(),
            snapshotId: await resolveSnapshotId(ctx, ref),
            type: enumValue(PreviewType, "--as", o.as),
            maxBytes: parseCount(o.maxBytes, "--max-bytes"),
            includeSensitive: o.sensitive ?? false,
          });
          if (ctx.out.json) return ctx.out.printJson(toJson(PreviewSnapshotResponseSchema, res));
          ctx.out.print(res.text);
          const notes = [...res.notes, ...(res.truncated ? ["(truncated)"] : []), ...(res.redacted && res.redactedPaths.length ? [`(masked: ${res.redactedPaths.join(", ")})`] : [])];
          if (notes.length) ctx.out.print(ctx.out.style("dim", notes.join("\n")));
        }),
      );
  },
};
