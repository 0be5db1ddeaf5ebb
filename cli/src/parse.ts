/** Parsers for flag and argument values; each throws CliError (exit 2) with the accepted forms. */
import { CliError } from "./exit-codes.js";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "90s", "30m", "1h", "7d", "2w" (or a bare number of seconds) -> seconds. */
export function parseDuration(text: string, what = "duration"): number {
  const m = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!m) throw new CliError(`${what} must look like 90s, 30m, 1h, 7d or 2w, got ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2] || "s"];
}

/** An RFC 3339 time ("2025-01-31", "2025-01-31T12:00:00Z"), or a duration meaning that long ago. */
export function parseTime(text: string, now = Date.now()): Date {
  if (/^\d+[smhdw]?$/.test(text.trim())) return new Date(now - parseDuration(text) * 1000);
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new CliError(`time must be a date like 2025-01-31, a timestamp, or a duration ago like 7d, got ${JSON.stringify(text)}`);
  return t;
}

/** "key=value" pairs (repeated flags) -> a labels object; values are strings. */
export function parseLabels(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf("=");
    if (at <= 0) throw new CliError(`labels are key=value, got ${JSON.stringify(p)}`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

/** "product/sku-1" -> { type, id }; "product" -> { type, id: "" }. */
export function parseResource(text: string): { type: string; id: string } {
  const at = text.indexOf("/");
  const type = at < 0 ? text : text.slice(0, at);
  if (!type) throw new CliError(`a resource is <type>[/<id>], got ${JSON.stringify(text)}`);
  return { type, id: at < 0 ? "" : text.slice(at + 1) };
}

/** A non-negative integer flag value. */
export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${what} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * A generated enum value by its short name: enumValue(SnapshotType, "--type", "db") is
 * SnapshotType.DB. protobuf-es names enum members without the prefix, in upper case.
 */
export function enumValue<E extends Record<string, string | number>>(e: E, what: string, text: string, skip: string[] = ["UNSPECIFIED"]): E[keyof E] {
  const names = Object.keys(e).filter((k) => Number.isNaN(Number(k)) && !skip.includes(k));
  const key = names.find((k) => k === text.toUpperCase().replace(/-/g, "_"));
  if (key === undefined) throw new CliError(`${what} must be one of ${names.map((n) => n.toLowerCase()).join(", ")}, got ${JSON.stringify(text)}`);
  return e[key as keyof E];
}

/** Short lower-case name of a generated enum value: enumName(SnapshotType, 3) is "db". */
export function enumName(e: Record<string, string | number>, value: number): string {
  const name = e[value];
  return typeof name === "string" ? name.toLowerCase() : String(value);
}

/** A repeatable option's collector for commander. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
