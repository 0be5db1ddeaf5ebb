import { sql as dsql } from "drizzle-orm";
import type postgres from "postgres";
import type { JobSignals } from "../../jobs/queue.js";
import type { Logger } from "../../lib/logger.js";
import type { Tx } from "./audit-repo.js";

/** NOTIFY channel of the job runner. Payloads: "enqueued", or "cancel:<job id>". */
export const JOB_CHANNEL = "vellum_jobs";

/**
 * How often the listen connection proves it still delivers (a NOTIFY to itself), and how long the
 * echo may take before the subscription is renewed. A listen connection that died and could not
 * re-listen would otherwise leave workers on the slow safety-net poll for good.
 */
export const LISTEN_CHECK_MS = 30_000;
export const LISTEN_ECHO_TIMEOUT_MS = 5_000;

/** Queues a notification inside `tx`: PostgreSQL delivers it when (and only if) `tx` commits. */
export async function notifyTx(tx: Tx, payload: string): Promise<void> {
  await tx.execute(dsql`select pg_notify(${JOB_CHANNEL}, ${payload})`);
}

/**
 * JobSignals over LISTEN/NOTIFY. postgres.js runs LISTEN on its own dedicated connection and
 * re-listens after that connection drops; a periodic echo renews the subscription if even that
 * failed. Whenever the channel is (re)established the listener's `enqueued` runs, because
 * notifications sent meanwhile are lost.
 */
export function createPgJobSignals(
  sql: postgres.Sql,
  log: Logger,
  timing: { checkMs?: number; echoTimeoutMs?: number } = {},
): JobSignals {
  const checkMs = timing.checkMs ?? LISTEN_CHECK_MS;
  const echoTimeoutMs = timing.echoTimeoutMs ?? LISTEN_ECHO_TIMEOUT_MS;
  return {
    async subscribe(listener) {
      const echoes = new Map<string, () => void>();
      let closed = false;
      const onNotify = (payload: string) => {
        if (payload === "enqueued") listener.enqueued();
        else if (payload.startsWith("cancel:")) listener.cancelled(payload.slice("cancel:".length));
        else if (payload.startsWith("echo:")) echoes.get(payload)?.();
      };
      const listen = () => sql.listen(JOB_CHANNEL, onNotify, () => listener.enqueued());
      let sub = await listen();

      async function check(): Promise<void> {
        const nonce = `echo:${Math.random().toString(36).slice(2)}`;
        const heard = new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), echoTimeoutMs);
          echoes.set(nonce, () => (clearTimeout(t), resolve(true)));
        });
        try {
          await sql`select pg_notify(${JOB_CHANNEL}, ${nonce})`;
          if ((await heard) || closed) return;
          log.warn("job wake-up channel is silent; listening again");
          await sub.unlisten().catch(() => undefined);
          sub = await listen();
        } catch (err) {
          log.warn("job wake-up channel check failed", { err });
        } finally {
          echoes.delete(nonce);
        }
      }
      let checking: Promise<void> | undefined;
      const timer = setInterval(() => void (checking ??= check().finally(() => (checking = undefined))), checkMs);
      timer.unref();
      return async () => {
        closed = true;
        clearInterval(timer);
        await checking;
        await sub.unlisten().catch(() => undefined);
      };
    },
  };
}
