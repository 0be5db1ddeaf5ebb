import { execFile } from "node:child_process";
import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { postgresUserIds } from "../../src/storage/db/run-as.js";
import { freePort } from "./server-process.js";
import { tempDir } from "./test-server.js";

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries (the machine's shared cluster runs from these too). */
export const PG15_BIN = "/usr/lib/postgresql/15/bin";

export interface PgCluster {
  port: number;
  /** Superuser URL of the cluster's `postgres` database (trust authentication, loopback only). */
  url: string;
  /** `pg_ctl restart -m immediate`: the postmaster and every backend are killed, then crash recovery. */
  restartImmediate(): Promise<void>;
  /** Stops the cluster (immediate) and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A private PostgreSQL 15 cluster on a free loopback port, for tests that must stop or restart
 * PostgreSQL (never the machine's shared cluster). As root it runs as the `postgres` user, which owns
 * its files; otherwise as the current user.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const dir = tempDir("vellum-pg15-");
  const ids = process.getuid?.() === 0 ? await postgresUserIds({ create: true }) : undefined;
  const data = join(dir.path, "data");
  const sockets = join(dir.path, "sockets");
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sockets, { mode: 0o700 });
  if (ids) for (const p of [dir.path, data, sockets]) chownSync(p, ids.uid, ids.gid);
  const port = await freePort();
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const pgCtl = (...args: string[]) => run(join(PG15_BIN, "pg_ctl"), ["-D", data, "-w", "-t", "120", ...args], { ...as, cwd: dir.path });
  await run(join(PG15_BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], {
    ...as,
    cwd: dir.path,
  });
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${sockets} -c fsync=on`;
  await pgCtl("-l", join(dir.path, "server.log"), "-o", opts, "start");
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restartImmediate() {
      await pgCtl("-l", join(dir.path, "server.log"), "-m", "immediate", "-o", opts, "restart");
    },
    async destroy() {
      await pgCtl("-m", "immediate", "stop").catch(() => undefined);
      dir.remove();
    },
  };
}
