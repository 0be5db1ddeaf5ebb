import { type FieldViolation, invalidArgument } from "./errors.js";

/** A request with more bad fields than this reports the first ones and a count of the rest. */
export const MAX_REPORTED_VIOLATIONS = 20;

/**
 * Collects field violations so that one INVALID_ARGUMENT reports every bad field at once (up to
 * MAX_REPORTED_VIOLATIONS; a request with thousands of bad elements gets a bounded answer).
 * Usage: `const v = new Validator(); v.storeId("store_id", x); ...; v.throwIfAny();`
 */
export class Validator {
  readonly violations: FieldViolation[] = [];
  /** Violations found beyond MAX_REPORTED_VIOLATIONS. */
  omitted = 0;

  add(field: string, description: string): void {
    if (this.violations.length < MAX_REPORTED_VIOLATIONS) this.violations.push({ field, description });
    else this.omitted++;
  }

  /** Required string matching `re` within `max` characters. */
  pattern(field: string, value: string, re: RegExp, max: number, what: string, required = true): void {
    if (value === "") {
      if (required) this.add(field, "is required");
      return;
    }
    if (value.length > max) this.add(field, `must be at most ${max} characters`);
    else if (!re.test(value)) this.add(field, `must be ${what}`);
  }

  storeId(field: string, value: string): void {
    this.pattern(field, value, STORE_ID_RE, 64, "1-64 characters of [A-Za-z0-9._-]");
  }

  uuid(field: string, value: string): void {
    this.pattern(field, value, UUID_RE, 36, "a UUID");
  }

  maxLength(field: string, value: string, max: number): void {
    if (value.length > max) this.add(field, `must be at most ${max} characters`);
  }

  /** Optional text within `max` characters, free of control characters (tab and newlines allowed in `prose`). */
  text(field: string, value: string, max: number, prose = false): void {
    if (value.length > max) this.add(field, `must be at most ${max} characters`);
    else if ((prose ? PROSE_CONTROL_RE : CONTROL_RE).test(value)) {
      this.add(field, prose ? "must not contain control characters other than tab and newline" : "must not contain control characters");
    }
  }

  range(field: string, value: number, min: number, max: number): void {
    if (!Number.isFinite(value) || value < min || value > max) this.add(field, `must be between ${min} and ${max}`);
  }

  throwIfAny(): void {
    if (this.violations.length) throw invalidArgument(this.violations, this.omitted);
  }
}

/** True when a JSON value has a NUL character in any key or string (PostgreSQL text and jsonb refuse it). */
export function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === "object") return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v));
  return false;
}

const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const PROSE_CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
export const STORE_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
export const RESOURCE_TYPE_RE = /^[A-Za-z0-9._:-]{1,64}$/;
export const RESOURCE_ID_RE = /^[^\u0000-\u001f]{1,256}$/;
export const TAG_RE = /^[A-Za-z0-9._:/@+=-]{1,128}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;
export const RESOURCE_VERSION_RE = /^[\x21-\x7e]{1,128}$/;
