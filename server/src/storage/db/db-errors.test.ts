import { Code } from "@connectrpc/connect";
import postgres from "postgres";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toConnectError } from "../../rpc/errors.js";
import { freePort } from "../../../test/support/server-process.js";
import { invalidField } from "../../domain/errors.js";
import { committedNothing, isDatabaseUnavailable } from "./db-errors.js";

const withCode = (code: string, name = "Error") => Object.assign(new Error(code), { code, name });

test("connection losses and PostgreSQL shutdown states are unavailable; query errors are not", () => {
  for (const code of ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]) {
    assert.ok(isDatabaseUnavailable(withCode(code)), code);
  }
  for (const code of ["ECONNREFUSED", "ECONNRESET"]) {
    assert.ok(isDatabaseUnavailable(Object.assign(withCode(code), { query: "select 1" })), `${code} of a query`);
    assert.not.ok(isDatabaseUnavailable(withCode(code)), `${code} of something else (a client socket)`);
  }
  for (const sqlstate of ["08006", "08001", "57P01", "57P02", "57P03", "53300"]) {
    assert.ok(isDatabaseUnavailable(withCode(sqlstate, "PostgresError")), sqlstate);
  }
  for (const sqlstate of ["23505", "42P01", "40001", "57014"]) {
    assert.not.ok(isDatabaseUnavailable(withCode(sqlstate, "PostgresError")), sqlstate);
  }
  assert.not.ok(isDatabaseUnavailable(new Error("boom")));
  assert.not.ok(isDatabaseUnavailable(undefined));
});

test("a wrapped cause (drizzle's DrizzleQueryError) is recognised", () => {
  const wrapped = new Error("Failed query: select 1", { cause: withCode("CONNECTION_CLOSED") });
  assert.ok(isDatabaseUnavailable(wrapped));
  const cyclic: { cause?: unknown } = {};
  cyclic.cause = cyclic;
  assert.not.ok(isDatabaseUnavailable(cyclic));
});

test("committedNothing: only a refused statement or the transaction's own domain error proves nothing committed", () => {
  for (const sqlstate of ["23505", "22P05", "40001", "40P01"]) {
    assert.ok(committedNothing(new Error("Failed query", { cause: withCode(sqlstate, "PostgresError") })), sqlstate);
  }
  assert.ok(committedNothing(invalidField("labels", "refused")));
  // A lost connection leaves a COMMIT's outcome unknown; so does a bare socket error (EPIPE looks like a SQLSTATE).
  for (const err of [withCode("CONNECTION_CLOSED"), Object.assign(withCode("ECONNRESET"), { query: "commit" }), withCode("EPIPE"), withCode("57P01", "PostgresError")]) {
    assert.not.ok(committedNothing(err), err.message);
  }
  assert.not.ok(committedNothing(new Error("boom")));
});

test("a refused connection from postgres.js maps to UNAVAILABLE, not INTERNAL", async () => {
  const sql = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const err = await sql`select 1`.then(
    () => undefined,
    (e: unknown) => e,
  );
  await sql.end({ timeout: 1 });
  assert.ok(isDatabaseUnavailable(err), String(err));
  const mapped = toConnectError(err);
  assert.is(mapped.error.code, Code.Unavailable);
  assert.not.ok(mapped.internal);
});

test.run();
