/**
 * The `vellum` program: global options, every command group, and the mapping of failures to one
 * line on stderr and an exit code (exit-codes.ts).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import type { Action } from "./command.js";
import { COMMAND_GROUPS } from "./commands/index.js";
import { createContext, type CliContext, type GlobalOptions } from "./context.js";
import { EXIT, exitCodeOf } from "./exit-codes.js";
import { failureReport } from "./failure.js";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export function createProgram(streams: CliContext["streams"]): Command {
  const program = new Command("vellum")
    .description("Command-line client for Vellum, the snapshot and versioning service")
    .version(VERSION)
    .option("--server <url>", "server URL (env VELLUM_SERVER; default http://127.0.0.1:8080)")
    .option("--store <id>", "store (env VELLUM_STORE)")
    .option("--api-key <key>", "API key vk_<id>_<secret> (env VELLUM_API_KEY)")
    .addOption(new Option("--protocol <protocol>", "wire protocol").choices(["grpc", "connect", "grpc-web"]).default("grpc"))
    .option("--json", "print results as JSON")
    .option("--debug", "print stack traces with errors")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
      outputError: (s, write) => write(`vellum: ${s.replace(/^error: /, "").trim()}\n`),
    });
  function withContext<A extends unknown[]>(action: Action<A>) {
    return (...args: [...A, Command]) => {
      const command = args[args.length - 1] as Command;
      const ctx = createContext(command.optsWithGlobals<GlobalOptions>(), streams);
      return action(ctx, ...(args.slice(0, -1) as unknown as A));
    };
  }
  for (const group of COMMAND_GROUPS) group.register(program, withContext);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(argv: string[], streams: CliContext["streams"]): Promise<number> {
  const program = createProgram(streams);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.OK;
  } catch (err) {
    // Commander has printed its message (usage errors) or the help/version text already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    streams.stderr.write(failureReport(err, argv.includes("--debug")) + "\n");
    return exitCodeOf(err);
  }
}
