/** `annotate add|ls`: immutable notes on snapshots. */
import { addAnnotation, AnnotationSchema, listAnnotations, timestampDate, toJson, type Annotation } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { parseCount } from "../parse.js";
import { readText } from "../read-text.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

const when = (a: Annotation) => (a.createTime ? timestampDate(a.createTime).toISOString().replace(/\.\d+Z$/, "Z") : "");

export const annotateCommands: CommandGroup = {
  register(program, withContext) {
    const annotate = program.command("annotate").description("annotations: immutable, audited, searchable notes on snapshots");
    annotate
      .command("add")
      .description("add a note to a snapshot (it cannot be edited or removed)")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("<message>", "the note (use - to read it from standard input)")
      .option("--author <id>", "author of the note (default: you)")
      .action(
        withContext(async (ctx, ref: string, message: string, o: { author?: string }) => {
          const text = message === "-" ? (await readText(ctx.streams.stdin)).replace(/\n$/, "") : message;
          const a = await addAnnotation(ctx.client(), { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref), message: text, authorId: o.author });
          if (ctx.out.json) ctx.out.printJson(toJson(AnnotationSchema, a));
          else ctx.out.print(`annotated ${a.snapshotId} (${a.annotationId})`);
        }),
      );
    annotate
      .command("ls")
      .description("a snapshot's notes, newest first")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, ref: string, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const notes = listAnnotations(ctx.client(), { storeId: ctx.store(), snapshotId: await resolveSnapshotId(ctx, ref), pageSize: pageSizeFor(limit) });
          printList(ctx, await take(notes, limit), (a: Annotation) => toJson(AnnotationSchema, a), ["created", "author", "note"], (a) => [when(a), a.authorId, a.message]);
        }),
      );
  },
};

