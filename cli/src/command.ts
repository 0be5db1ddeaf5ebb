/**
 * The contract of a command group module (commands/*.ts): `register(program, withContext)` adds its
 * commands to the program. `withContext(action)` turns an action into a commander handler that
 * first resolves the settings and output for the invocation; errors thrown by the action become
 * the one-line report and the exit code (run.ts).
 */
import type { Command } from "commander";
import type { CliContext } from "./context.js";

/** An action: the context, then commander's arguments (positionals, then the command's options). */
export type Action<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<void>;

export type WithContext = <A extends unknown[]>(action: Action<A>) => (...args: [...A, Command]) => Promise<void>;

export interface CommandGroup {
  register(program: Command, withContext: WithContext): void;
}
