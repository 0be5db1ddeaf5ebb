/**
 * How a failed command reports itself: exactly one line on stderr with the gRPC code, the server's
 * message, the field violations and the request id; the stack only with --debug.
 */
import { codeName, isVellumError } from "@vellum/sdk";
import { CliError } from "./exit-codes.js";

/** The one-line description of `err` (no trailing newline; newlines inside messages are flattened). */
export function failureLine(err: unknown): string {
  let line: string;
  if (err instanceof CliError) {
    line = err.message;
  } else if (isVellumError(err)) {
    line = `${codeName(err.code)}: ${err.rawMessage || "(no message)"}`;
    if (err.fieldViolations.length > 0) line += ` [${err.fieldViolations.map((v) => `${v.field}: ${v.description}`).join("; ")}]`;
    if (err.requestId) line += ` (request id ${err.requestId})`;
  } else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    line = typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  } else {
    line = String(err);
  }
  return `vellum: ${line.replace(/\s*\n\s*/g, " ")}`;
}

/** What goes to stderr for `err`: the line, plus the stack and causes with `debug`. */
export function failureReport(err: unknown, debug: boolean): string {
  const line = failureLine(err);
  if (!debug) return line;
  const parts = [line];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.stack) parts.push(depth === 0 ? e.stack : `caused by: ${e.stack}`);
  }
  return parts.join("\n");
}
