/**
 * The `vellum` exit codes: one per class of gRPC status, so scripts can tell a missing snapshot from
 * a refused key or a server that is down without parsing messages. Documented in cli/README.md.
 */
import { Code, codeName, isVellumError } from "@vellum/sdk";

export const EXIT = {
  OK: 0,
  /** Anything else: INTERNAL, UNKNOWN, UNIMPLEMENTED, local file errors. */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing argument, bad flag value. */
  USAGE: 2,
  /** NOT_FOUND. */
  NOT_FOUND: 3,
  /** UNAUTHENTICATED, PERMISSION_DENIED. */
  PERMISSION: 4,
  /** INVALID_ARGUMENT, OUT_OF_RANGE. */
  INVALID_ARGUMENT: 5,
  /** FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED (state or etag conflicts). */
  CONFLICT: 6,
  /** UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED: worth retrying later. */
  UNAVAILABLE: 7,
  /** DATA_LOSS: stored or downloaded content failed verification. */
  DATA_LOSS: 8,
} as const;

const BY_CODE: Partial<Record<Code, number>> = {
  [Code.NotFound]: EXIT.NOT_FOUND,
  [Code.Unauthenticated]: EXIT.PERMISSION,
  [Code.PermissionDenied]: EXIT.PERMISSION,
  [Code.InvalidArgument]: EXIT.INVALID_ARGUMENT,
  [Code.OutOfRange]: EXIT.INVALID_ARGUMENT,
  [Code.FailedPrecondition]: EXIT.CONFLICT,
  [Code.AlreadyExists]: EXIT.CONFLICT,
  [Code.Aborted]: EXIT.CONFLICT,
  [Code.Unavailable]: EXIT.UNAVAILABLE,
  [Code.DeadlineExceeded]: EXIT.UNAVAILABLE,
  [Code.ResourceExhausted]: EXIT.UNAVAILABLE,
  [Code.Canceled]: EXIT.UNAVAILABLE,
  [Code.DataLoss]: EXIT.DATA_LOSS,
};

/** Exit code for a gRPC status code. */
export function exitCodeFor(code: Code): number {
  return BY_CODE[code] ?? EXIT.ERROR;
}

const BY_NAME = new Map(
  Object.values(Code)
    .filter((c): c is Code => typeof c === "number")
    .map((c) => [codeName(c), c]),
);

/** Exit code for a canonical status name as jobs report it ("DATA_LOSS"); ERROR for unknown names. */
export function exitCodeForName(name: string): number {
  const code = BY_NAME.get(name);
  return code === undefined ? EXIT.ERROR : exitCodeFor(code);
}

/** A failure the CLI reports itself (bad flag values, refused output targets) with its exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}

/** Exit code for anything a command threw. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (isVellumError(err)) return exitCodeFor(err.code);
  return EXIT.ERROR;
}
