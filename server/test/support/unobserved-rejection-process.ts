import postgres from "postgres";
import { createLogger } from "../../src/lib/logger.js";
import { handleUnhandledRejections } from "../../src/lib/unhandled-rejections.js";
import { isDatabaseUnavailable } from "../../src/storage/db/db-errors.js";

/**
 * A process with the server's unhandled-rejection policy that leaves one operation's failure
 * unobserved, then prints "still running" a second later and exits 0 (if it is still running).
 * UNOBSERVED_KIND: "database" (a postgres.js transaction, as drizzle runs one, against a port that
 * refuses connections: UNOBSERVED_PORT) or "other" (a plain Error).
 */
const log = createLogger("info", { service: "unobserved-rejection" });
handleUnhandledRejections(log, isDatabaseUnavailable);
const sql = postgres(`postgres://nobody@127.0.0.1:${process.env.UNOBSERVED_PORT}/nothing`, { max: 1, connect_timeout: 2, onnotice: () => {} });
if (process.env.UNOBSERVED_KIND === "database") void sql.begin(async (tx) => tx`select 1`).then(() => undefined);
else void Promise.resolve().then(() => {
  throw new Error("an unobserved failure that is not the database's");
});
// A refused loopback connection fails within milliseconds.
setTimeout(() => {
  console.log("still running");
  process.exit(0);
}, 1000);
