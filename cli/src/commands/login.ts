/** `login`: saves the server, store and API key to the config file (mode 0600). */
import { Code, isVellumError } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { connect, type CliContext } from "../context.js";
import { CliError, EXIT } from "../exit-codes.js";
import { configPath, readConfigFile, writeConfigFile, type Settings } from "../settings.js";
import { readText } from "../read-text.js";

export const loginCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("login")
      .description("save --server, --store and --api-key (or the environment's) to the config file, after checking them against the server")
      .option("--api-key-stdin", "read the API key from standard input (keeps it out of the shell history)")
      .option("--no-verify", "save without calling the server")
      .action(
        withContext(async (ctx, o: { apiKeyStdin?: boolean; verify: boolean }) => {
          const path = configPath(ctx.streams.env);
          const settings: Settings = { ...readConfigFile(path), ...definedOnly({ server: ctx.server, store: ctx.settings.store, apiKey: ctx.settings.apiKey }) };
          if (o.apiKeyStdin) {
            const key = (await readText(ctx.streams.stdin)).trim();
            if (!key) throw new CliError("--api-key-stdin: standard input was empty");
            settings.apiKey = key;
          }
          if (o.verify) await check(ctx, settings);
          writeConfigFile(path, settings);
          if (ctx.out.json) ctx.out.printJson({ config: path, server: settings.server, store: settings.store ?? null, apiKey: settings.apiKey ? "set" : "unset" });
          else ctx.out.print(`saved ${path} (server ${settings.server}, store ${settings.store ?? "unset"}, API key ${settings.apiKey ? "set" : "unset"})`);
        }),
      );
  },
};

/** One authenticated read in the store (or a health check without one) to prove the settings work. */
async function check(ctx: CliContext, settings: Settings): Promise<void> {
  const client = connect(settings.server ?? ctx.server, ctx.protocol, settings.apiKey);
  try {
    if (settings.store) await client.snapshots.listSnapshots({ storeId: settings.store, pageSize: 1 });
    else await client.health.check({});
  } catch (err) {
    if (isVellumError(err) && (err.code === Code.Unauthenticated || err.code === Code.PermissionDenied)) {
      throw new CliError(`the server refused these credentials (${err.rawMessage}); nothing saved`, EXIT.PERMISSION);
    }
    throw err;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
