import type { Logger } from "./logger.js";

/**
 * The process's answer to a promise that rejects with no handler: some operation failed and
 * nothing observed it, which is a bug. Node's default ends the process.
 *
 * One class of reason is survived: `survivable` (the server passes `isDatabaseUnavailable`), the
 * failure of a database operation that could not reach PostgreSQL. Nobody waits for its outcome,
 * which is what the same failure leaves when it is handled (PostgreSQL rolls back a transaction
 * whose connection is lost), and ending the process for it would turn a database restart into the
 * loss of every call and upload in flight. It is logged at error level with its stack, so the
 * operation can be found.
 * Any other reason is logged and ends the process with exit code 1, as Node's default would.
 */
export function unhandledRejectionPolicy(deps: {
  log: Logger;
  survivable: (reason: unknown) => boolean;
  exit: (code: number) => void;
}): (reason: unknown) => void {
  return (reason) => {
    if (deps.survivable(reason)) {
      deps.log.error("a database operation that could not reach PostgreSQL failed unobserved; the process continues", { err: reason });
      return;
    }
    deps.log.error("unhandled promise rejection; exiting", { err: reason });
    deps.exit(1);
  };
}

/** Installs `unhandledRejectionPolicy` for this process (replacing Node's default). */
export function handleUnhandledRejections(log: Logger, survivable: (reason: unknown) => boolean): void {
  process.on("unhandledRejection", unhandledRejectionPolicy({ log, survivable, exit: (code) => process.exit(code) }));
}
