import net from "node:net";
import { sql } from "drizzle-orm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase } from "../../../test/support/test-db.js";
import { openDatabase } from "./client.js";

/**
 * The patched postgres.js (patches/postgres+3.4.9.patch) sends a statement whose parameters are
 * strings, numbers, booleans and bytes as Parse, Bind and Execute in one write: their text form does
 * not depend on the types PostgreSQL infers. Only a parameter that is an array or an object of
 * unknown type makes it describe the statement first and bind after the answer (two round trips).
 */
const tdb = await createTestDatabase();
const target = new URL(tdb.url);

test.after(async () => {
  await tdb.drop();
});

/** Frontend message types (Parse, Bind, ...) of one connection, by the client write they started in. */
interface Wire {
  port: number;
  writes: string[][];
  close(): void;
}

/** A TCP proxy to the test database that parses what the client sends into messages. */
async function recordingProxy(): Promise<Wire> {
  const writes: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on("data", (d: Buffer) => {
      upstream.write(d);
      const types: string[] = [];
      pending = Buffer.concat([pending, d]);
      // The startup message has no type byte: a length, then the protocol version.
      if (!started && pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < len) return;
        pending = pending.subarray(len);
        started = true;
      }
      while (started && pending.length >= 5) {
        const len = pending.readUInt32BE(1);
        if (pending.length < len + 1) break;
        types.push(String.fromCharCode(pending[0]));
        pending = pending.subarray(len + 1);
      }
      writes.push(types);
    });
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    writes,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** The writes of one statement: from its Parse to its Sync. */
function writesOfLastStatement(writes: string[][]): string[][] {
  const start = writes.findLastIndex((w) => w.includes("P"));
  return writes.slice(start).filter((w) => w.length > 0);
}

type Query = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Runs `run` with a query function that calls postgres.js as drizzle does for every statement it
 * builds (`unsafe(text, params, { prepare: false })`), over a pool of one connection through the proxy.
 */
async function withProxiedDatabase(run: (query: Query, wire: Wire) => Promise<void>) {
  const wire = await recordingProxy();
  const url = new URL(tdb.url);
  url.hostname = "127.0.0.1";
  url.port = String(wire.port);
  const database = openDatabase(url.toString(), { max: 1 });
  try {
    await database.db.execute(sql`select 1`);
    const query: Query = (text, params) => database.sql.unsafe(text, params as never[], { prepare: false });
    await run(query, wire);
  } finally {
    await database.close();
    wire.close();
  }
}

test("a statement with string, number and byte parameters is sent in one write", async () => {
  await withProxiedDatabase(async (query, wire) => {
    const [row] = await query("select $1::text as a, $2::int as b, $3::boolean as c, encode($4::bytea, 'hex') as d", ["x", 42, true, new Uint8Array([1, 2])]);
    assert.equal(row, { a: "x", b: 42, c: true, d: "0102" });
    assert.equal(writesOfLastStatement(wire.writes), [["P", "D", "B", "E", "S"]]);
  });
});

test("an array parameter is still described first, then bound with the inferred array type", async () => {
  await withProxiedDatabase(async (query, wire) => {
    const [row] = await query("select cardinality($1::text[]) as n", [["a", "b,c", 'd"e']]);
    assert.is(row.n, 3, "the array is serialized as a text[], not as one string");
    assert.equal(writesOfLastStatement(wire.writes), [["P", "D", "H"], ["B", "E", "S"]]);
  });
});

test("values sent without a describe arrive as the columns' types", async () => {
  await withProxiedDatabase(async (query) => {
    await query("create temporary table t (i int, big bigint, n numeric, flag boolean, doc jsonb, at timestamptz, tags text[], raw bytea)", []);
    await query("insert into t values ($1, $2, $3, $4, $5, $6, null, $7)", [
      7,
      "9007199254740993",
      "12.50",
      false,
      '{"k":[1,"v"]}',
      "2026-01-02T03:04:05Z",
      new Uint8Array([0, 255]),
    ]);
    await query("update t set tags = $1", [["p", "q r"]]);
    const [row] = await query("select i, big::text as big, n::text as n, flag, doc->'k'->>1 as v, extract(epoch from at)::int as at, tags, encode(raw, 'hex') as raw from t", []);
    assert.equal(row, { i: 7, big: "9007199254740993", n: "12.50", flag: false, v: "v", at: 1767323045, tags: ["p", "q r"], raw: "00ff" });
  });
});

test.run();
