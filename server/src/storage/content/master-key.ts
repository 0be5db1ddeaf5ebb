import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The KMS master key when none is configured: a random 32-byte key kept in `path` (mode 0600),
 * created on first start. Losing this file makes encrypted snapshots unreadable: back it up, or
 * set VELLUM_MASTER_KEY in production.
 */
export function loadOrCreateMasterKeyFile(path: string): Uint8Array {
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`master key file ${path} does not hold a base64 32-byte key`);
    return key;
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  return key;
}
