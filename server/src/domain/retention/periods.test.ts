import { test } from "uvu";
import * as assert from "uvu/assert";
import { canonicalTimeZone, periodsOf } from "./periods.js";

const at = (iso: string, tz: string) => periodsOf(new Date(iso), tz);

test("UTC: day, ISO week, month and year; the ISO week year differs from the calendar year at year ends", () => {
  assert.equal(at("2026-12-03T10:00:00Z", "UTC"), { day: "2026-12-03", week: "2026-W49", month: "2026-12", year: "2026" });
  // 2027-01-01 is a Friday: it belongs to the last week of 2026 (2026-W53).
  assert.equal(at("2027-01-01T00:00:00Z", "UTC").week, "2026-W53");
  // 2024-12-30 is a Monday: the first day of 2025-W01.
  assert.equal(at("2024-12-30T12:00:00Z", "UTC"), { day: "2024-12-30", week: "2025-W01", month: "2024-12", year: "2024" });
  assert.equal(at("2026-01-01T00:00:00Z", "UTC").week, "2026-W01");
});

test("a zone moves instants across day, week, month and year boundaries", () => {
  // 2026-12-31T23:30Z is already 2027 in Berlin (UTC+1 in winter).
  assert.equal(at("2026-12-31T23:30:00Z", "Europe/Berlin"), { day: "2027-01-01", week: "2026-W53", month: "2027-01", year: "2027" });
  // And still the previous day in New York.
  assert.equal(at("2026-04-01T03:00:00Z", "America/New_York").day, "2026-03-31");
});

test("DST: Berlin's offset is +1 before 2026-03-29 01:00Z and +2 after", () => {
  // 22:30Z on Saturday 28 March (CET): 23:30 local, still Saturday.
  assert.is(at("2026-03-28T22:30:00Z", "Europe/Berlin").day, "2026-03-28");
  // 22:30Z on Sunday 29 March (CEST): 00:30 local on Monday 30 March, the next ISO week.
  assert.equal(at("2026-03-29T22:30:00Z", "Europe/Berlin"), { day: "2026-03-30", week: "2026-W14", month: "2026-03", year: "2026" });
  assert.is(at("2026-03-29T22:30:00Z", "UTC").week, "2026-W13");
});

test("time zone names are validated and canonicalised", () => {
  assert.is(canonicalTimeZone("Europe/Berlin"), "Europe/Berlin");
  assert.is(canonicalTimeZone("utc"), "UTC");
  assert.is(canonicalTimeZone("Mars/Olympus_Mons"), undefined);
  assert.is(canonicalTimeZone(""), undefined);
});

test.run();
