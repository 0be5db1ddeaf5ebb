/** `export` and `import`: snapshots to and from export archives (gs://, file://, https) as jobs. */
import { readFileSync } from "node:fs";
import { exportSnapshot, importSnapshot, parseExportKey } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { followJob } from "../job-watch.js";
import { parseResource } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";

const keyFrom = (file: string | undefined): Uint8Array | undefined => (file ? parseExportKey(readFileSync(file, "utf8")) : undefined);

export const archiveCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("export")
      .description("write a snapshot's self-describing archive to gs://bucket/prefix, file:///dir (under the server's export root) or an https URL (PUT); a job, waited for unless --no-wait")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .argument("<destination>", "gs://bucket/prefix, file:///dir or https://host/path")
      .option("--key-file <path>", "encrypt with this 32-byte key (64 hex digits or base64 in the file)")
      .option("--signing-secret-file <path>", "sign the https PUT with this secret (X-Vellum-Signature)")
      .option("--notify <url>", "POST the outcome to this https URL when the export ends")
      .option("--no-wait", "print the queued job and return")
      .action(
        withContext(async (ctx, ref: string, destination: string, o: { keyFile?: string; signingSecretFile?: string; notify?: string; wait: boolean }) => {
          const key = keyFrom(o.keyFile);
          const job = await exportSnapshot(ctx.client(), {
            storeId: ctx.store(),
            snapshotId: await resolveSnapshotId(ctx, ref),
            destination,
            encrypt: key !== undefined,
            encryptionKey: key,
            signingSecret: o.signingSecretFile ? new Uint8Array(readFileSync(o.signingSecretFile)) : undefined,
            notifyWebhook: o.notify,
          });
          await followJob(ctx, job, o.wait, "export");
        }),
      );

    program
      .command("import")
      .description("read an export archive (gs://, file://, https) or a share link's download URL into a new snapshot; a job, waited for unless --no-wait")
      .argument("<source>", "gs://bucket/object, file:///path, https://host/path or https://host/v1/share/<token>/download")
      .option("--key-file <path>", "the 32-byte key of an encrypted archive")
      .option("--resource <type/id>", "store under this resource instead of the archive's")
      .option("-m, --message <text>", "commit message instead of the archive's")
      .option("--no-wait", "print the queued job and return")
      .action(
        withContext(async (ctx, source: string, o: { keyFile?: string; resource?: string; message?: string; wait: boolean }) => {
          const r = o.resource ? parseResource(o.resource) : undefined;
          const job = await importSnapshot(ctx.client(), {
            storeId: ctx.store(),
            source,
            resourceType: r?.type,
            resourceId: r?.id,
            metadata: o.message ? { commitMessage: o.message } : undefined,
            decryptionKey: keyFrom(o.keyFile),
          });
          await followJob(ctx, job, o.wait, "import");
        }),
      );
  },
};
