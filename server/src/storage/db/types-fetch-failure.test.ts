import net from "node:net";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { openDatabase } from "./client.js";
import { isDatabaseUnavailable } from "./db-errors.js";

/**
 * The patched postgres.js (patches/postgres+3.4.9.patch): every new connection first fetches the
 * array types; when PostgreSQL goes away during that fetch (a restart) and then refuses the
 * reconnect, the query that opened the connection fails as unavailable, and the fetch's own
 * failure does not escape as an unhandled rejection (which ends the process; porsager/postgres#1192).
 */
const tdb = await createTestDatabase();
const target = new URL(tdb.url);

test.after(async () => {
  await tdb.drop();
});

/**
 * A TCP proxy to the test database that, at the first array-types query it forwards, cuts both
 * sockets and stops accepting: the client's reconnect is refused, as during a restart.
 */
async function proxyThatDiesAtTypesFetch(): Promise<{ port: number; cut: Promise<void> }> {
  let onCut!: () => void;
  const cut = new Promise<void>((r) => (onCut = r));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    upstream.pipe(client);
    client.on("data", (d: Buffer) => {
      if (d.includes("typarray")) {
        server.close();
        for (const s of sockets) s.destroy();
        onCut();
      } else upstream.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, cut };
}

test("a connection cut during its types fetch and then refused fails its query as unavailable, with nothing unhandled", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  const proxy = await proxyThatDiesAtTypesFetch();
  const url = new URL(tdb.url);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  const database = openDatabase(url.toString(), { max: 1, connectTimeoutMs: 2000 });
  try {
    const failure = await database.db.execute(sql`select 1`).then(
      () => "answered",
      (e: unknown) => e,
    );
    await proxy.cut;
    assert.ok(isDatabaseUnavailable(failure), `the query fails as unavailable: ${String(failure)}`);
    const viaTx = await database.db.transaction(async (tx) => tx.execute(sql`select 1`)).then(
      () => "answered",
      (e: unknown) => e,
    );
    assert.ok(isDatabaseUnavailable(viaTx), `a transaction fails as unavailable: ${String(viaTx)}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(unhandled.map(String), [], "no rejection went unhandled");
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await database.close();
  }
});

test("array types are still fetched and used: a text[] comes back as an array", async () => {
  const direct = postgres(tdb.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await direct<{ a: string[] }[]>`select array['x','y']::text[] as a`;
    assert.equal(row.a, ["x", "y"]);
  } finally {
    await direct.end({ timeout: 5 });
  }
});

test.run();
