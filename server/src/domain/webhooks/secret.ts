import { randomBytes } from "node:crypto";
import { invalidField } from "../errors.js";

const PREFIX = "whsec_";

/** A new signing secret: "whsec_" and the base64 of 32 random bytes (Standard Webhooks format). */
export const generateSecret = (): string => PREFIX + randomBytes(32).toString("base64");

/**
 * A caller's secret, checked: "whsec_<base64 of 24 to 64 bytes>"; "" yields a generated one. The
 * error never echoes the value.
 */
export function secretOrGenerate(raw: string, field: string): string {
  if (raw === "") return generateSecret();
  const body = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : "";
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, "base64") : Buffer.alloc(0);
  if (bytes.length < 24 || bytes.length > 64 || bytes.toString("base64").replace(/=+$/, "") !== body.replace(/=+$/, "")) {
    throw invalidField(field, "must be whsec_ followed by the base64 of 24 to 64 random bytes");
  }
  return raw;
}
