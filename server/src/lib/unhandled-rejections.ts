import type { Logger } from "./logger.js";

/**
 * Installs this process's answer to a promise that rejects with no handler (replacing Node's
 * default, which ends the process): some operation failed and nothing observed it, which is a bug.
 *
 * One class of reason is survived: `survivable` (the server passes `isDatabaseUnavailable`), the
 * failure of a database operation that could not reach PostgreSQL. Nobody waits for its outcome,
 * which is what the same failure leaves when it is handled (PostgreSQL rolls back a transaction
 * whose connection is lost), and ending the process for it would turn a database restart into the
 * loss of every call and upload in flight. It is logged at error level with its stack, so the
 * operation can be found. Any other reason is logged and ends the process with exit code 1, as
 * Node's default would.
 */
export function handleUnhandledRejections(log: Logger, survivable: (reason: unknown) => boolean): void {
  process.on("unhandledRejection", (reason) => {
    if (survivable(reason)) {
      log.error("a database operation that could not reach PostgreSQL failed unobserved; the process continues", { err: reason });
      return;
    }
    log.error("unhandled promise rejection; exiting", { err: reason });
    process.exit(1);
  });
}
