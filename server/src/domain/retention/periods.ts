import { DAY_MS } from "./types.js";

/** The calendar periods an instant falls in, in one time zone. */
export interface Periods {
  /** "2026-12-03" */
  day: string;
  /** ISO 8601 week, "2026-W49" (the week-numbering year may differ from the calendar year). */
  week: string;
  /** "2026-12" */
  month: string;
  /** "2026" */
  year: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric", calendar: "iso8601", numberingSystem: "latn" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The canonical name of an IANA time zone Intl knows ("utc" -> "UTC"), or undefined. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * The day, ISO week, month and year of `instant` in `timeZone`. The local calendar date comes from
 * Intl (which applies the zone's offsets and DST rules); the ISO week is then pure calendar
 * arithmetic on that date: the week belongs to the year of its Thursday.
 */
export function periodsOf(instant: Date, timeZone: string): Periods {
  const f = formatter(timeZone);
  let year = 0;
  let month = 0;
  let day = 0;
  // The ISO 8601 calendar formats as "2026-03-30"; `format` is a few times faster than
  // `formatToParts`, which remains the fallback should the formatting data differ.
  const iso = ISO_DATE.exec(f.format(instant));
  if (iso) {
    year = Number(iso[1]);
    month = Number(iso[2]);
    day = Number(iso[3]);
  } else {
    for (const p of f.formatToParts(instant)) {
      if (p.type === "year") year = Number(p.value);
      else if (p.type === "month") month = Number(p.value);
      else if (p.type === "day") day = Number(p.value);
    }
  }
  const civil = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(civil).getUTCDay() + 6) % 7;
  const thursday = civil + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / DAY_MS / 7);
  return {
    day: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    week: `${pad(weekYear, 4)}-W${pad(week)}`,
    month: `${pad(year, 4)}-${pad(month)}`,
    year: pad(year, 4),
  };
}
