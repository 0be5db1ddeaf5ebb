import { test } from "uvu";
import * as assert from "uvu/assert";
import { cronProblem, cronSchedule } from "./cron.js";

const iso = (d: Date) => d.toISOString();

test("slots in a time zone across both DST changes (Europe/Berlin 2026)", () => {
  const daily = cronSchedule("30 2 * * *", "Europe/Berlin");
  // 29 March: 02:00-03:00 does not exist, so 02:30 runs at 03:30 CEST; latest() agrees with next().
  assert.is(iso(daily.next(new Date("2026-03-28T12:00:00Z"))), "2026-03-29T01:30:00.000Z");
  assert.is(iso(daily.latest(new Date("2026-03-29T01:30:00Z"))), "2026-03-29T01:30:00.000Z");
  assert.is(iso(daily.latest(new Date("2026-03-29T12:00:00Z"))), "2026-03-29T01:30:00.000Z");
  assert.is(iso(daily.latest(new Date("2026-03-29T01:29:00Z"))), "2026-03-28T01:30:00.000Z");
  // 25 October: 02:00-03:00 happens twice; 02:30 runs once.
  assert.is(iso(daily.next(new Date("2026-10-24T12:00:00Z"))), "2026-10-25T00:30:00.000Z");
  assert.is(iso(daily.next(new Date("2026-10-25T00:30:00Z"))), "2026-10-26T01:30:00.000Z");
  // latest() includes a slot exactly at `now`.
  assert.is(iso(daily.latest(new Date("2026-10-26T01:30:00Z"))), "2026-10-26T01:30:00.000Z");
  assert.is(iso(daily.latest(new Date("2026-10-26T01:29:59Z"))), "2026-10-25T00:30:00.000Z");
});

test("six fields start with seconds; bad expressions say why", () => {
  assert.is(iso(cronSchedule("*/10 * * * * *", "UTC").next(new Date("2026-01-01T00:00:01Z"))), "2026-01-01T00:00:10.000Z");
  assert.match(cronProblem("* * *", "UTC")!, /5 fields/);
  assert.match(cronProblem("61 * * * *", "UTC")!, /not a valid cron/);
  assert.is(cronProblem("0 2 * * 1-5", "Asia/Tokyo"), undefined);
});

test.run();
