import { sql as dsql } from "drizzle-orm";
import type postgres from "postgres";
import type { JobSignals } from "../../jobs/queue.js";
import type { Tx } from "./audit-repo.js";

/** NOTIFY channel of the job runner. Payloads: "enqueued", or "cancel:<job id>". */
export const JOB_CHANNEL = "vellum_jobs";

/** Queues a notification inside `tx`: PostgreSQL delivers it when (and only if) `tx` commits. */
export async function notifyTx(tx: Tx, payload: string): Promise<void> {
  await tx.execute(dsql`select pg_notify(${JOB_CHANNEL}, ${payload})`);
}

/**
 * JobSignals over LISTEN/NOTIFY. postgres.js runs LISTEN on its own dedicated connection and
 * listens again after that connection drops (retrying until the server takes connections again).
 * Whenever the channel is (re)established the listener's `enqueued` runs, because notifications
 * sent meanwhile are lost; while it is down, the runner's poll is the safety net.
 */
export function createPgJobSignals(sql: postgres.Sql): JobSignals {
  return {
    async subscribe(listener) {
      const onNotify = (payload: string) => {
        if (payload === "enqueued") listener.enqueued();
        else if (payload.startsWith("cancel:")) listener.cancelled(payload.slice("cancel:".length));
      };
      const sub = await sql.listen(JOB_CHANNEL, onNotify, () => listener.enqueued());
      return async () => {
        await sub.unlisten().catch(() => undefined);
      };
    },
  };
}
