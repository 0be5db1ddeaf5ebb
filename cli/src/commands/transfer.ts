/** `push` and `pull`: uploads and verified downloads with progress bars. */
import { statSync } from "node:fs";
import { downloadSnapshotTo, downloadSnapshotToFile, SnapshotSchema, SnapshotType, toJson, uploadSnapshot, type Snapshot } from "@vellum/sdk/node";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { CliError } from "../exit-codes.js";
import { formatBytes, type Progress } from "../output.js";
import { collect, enumValue, parseLabels, parseResource } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

interface PushOptions {
  type: string;
  resource: string;
  tag?: string[];
  label?: string[];
  message?: string;
  incremental: boolean;
  encrypt?: boolean;
}

function printSnapshot(ctx: CliContext, verb: string, s: Snapshot, target?: string): void {
  if (ctx.out.json) ctx.out.printJson(toJson(SnapshotSchema, s));
  else ctx.out.print(`${verb} ${ctx.out.style("bold", s.snapshotId)}${target ? ` to ${target}` : ""} (${formatBytes(s.size)}, sha256 ${s.sha256})`);
}

export const transferCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("push")
      .description("upload a file (incrementally: only chunks the store lacks are sent) or standard input (-)")
      .argument("<file>", "file to upload, or - for standard input")
      .requiredOption("--resource <type[/id]>", "resource the snapshot captures; with an id it becomes the resource's next version")
      .option("--type <type>", "content type: json, tar, db, index, asset or blob", "blob")
      .option("--tag <tag>", "tag (repeatable)", collect)
      .option("--label <key=value>", "label (repeatable)", collect)
      .option("--message <text>", "commit message")
      .option("--encrypt", "encrypt the content at rest")
      .option("--no-incremental", "send the whole file in one UploadSnapshot stream instead of only missing chunks")
      .action(
        withContext(async (ctx, file: string, o: PushOptions) => {
          const resource = parseResource(o.resource);
          const labels = parseLabels(o.label);
          const header = {
            storeId: ctx.store(),
            resourceType: resource.type,
            resourceId: resource.id,
            snapshotType: enumValue(SnapshotType, "--type", o.type),
            tags: o.tag ?? [],
            labels,
            metadata: o.message ? { commitMessage: o.message } : undefined,
            encrypt: o.encrypt ?? false,
          };
          const fromStdin = file === "-";
          const total = fromStdin ? undefined : fileSize(file);
          const bar = ctx.out.progress("push", { total });
          try {
            const source = fromStdin ? ctx.streams.stdin : file;
            const snapshot = await uploadSnapshot(ctx.client(), header, source, {
              incremental: !fromStdin && o.incremental,
              verify: !fromStdin && !o.incremental,
              onProgress: (n) => bar.update(n),
            });
            bar.stop();
            printSnapshot(ctx, "pushed", snapshot);
          } catch (err) {
            bar.stop();
            throw err;
          }
        }),
      );

    program
      .command("pull")
      .description("download a snapshot, verified against its SHA-256, to a file (written atomically) or standard output")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("[file]", "target file, or - for standard output (the default)", "-")
      .action(
        withContext(async (ctx, ref: string, file: string) => {
          const toStdout = file === "-";
          if (toStdout && ctx.streams.stdout.isTTY) throw new CliError("refusing to write snapshot content to a terminal: give a file, or redirect standard output");
          const snapshotId = await resolveSnapshotId(ctx, ref);
          let bar: Progress | undefined;
          const options = {
            onSnapshot: (s: Snapshot) => (bar = ctx.out.progress("pull", { total: Number(s.size) })),
            onProgress: (n: number) => bar?.update(n),
          };
          try {
            const req = { storeId: ctx.store(), snapshotId };
            const snapshot = toStdout
              ? await downloadSnapshotTo(ctx.client(), req, ctx.streams.stdout, { ...options, end: false })
              : await downloadSnapshotToFile(ctx.client(), req, file, options);
            bar?.stop();
            // With the content on stdout, nothing else is printed there.
            if (!toStdout) printSnapshot(ctx, "pulled", snapshot, file);
          } catch (err) {
            bar?.stop();
            throw err;
          }
        }),
      );
  },
};

function fileSize(path: string): number {
  const st = statSync(path);
  if (!st.isFile()) throw new CliError(`${path} is not a regular file`);
  return st.size;
}
