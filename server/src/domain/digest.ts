import { createHash } from "node:crypto";

/** A SHA-256 content digest. Construct with `digestOf`, `parseDigest` or `Sha256.fromBytes`. */
export class Sha256 {
  private constructor(readonly bytes: Uint8Array) {}

  static fromBytes(bytes: Uint8Array): Sha256 {
    if (bytes.length !== 32) throw new TypeError(`sha256 digest must be 32 bytes, got ${bytes.length}`);
    return new Sha256(Uint8Array.from(bytes));
  }

  /** Lowercase hex, 64 characters. */
  toHex(): string {
    return Buffer.from(this.bytes).toString("hex");
  }

  toString(): string {
    return this.toHex();
  }

  equals(other: Sha256): boolean {
    return Buffer.from(this.bytes).equals(Buffer.from(other.bytes));
  }
}

const HEX_RE = /^[0-9a-f]{64}$/;

/** True when `s` is a lowercase 64-character hex SHA-256. */
export const isDigestHex = (s: string): boolean => HEX_RE.test(s);

/** Parses lowercase hex; returns undefined for anything else. */
export function parseDigest(hex: string): Sha256 | undefined {
  return HEX_RE.test(hex) ? Sha256.fromBytes(Buffer.from(hex, "hex")) : undefined;
}

/** SHA-256 of a buffer. */
export function digestOf(data: Uint8Array): Sha256 {
  return Sha256.fromBytes(createHash("sha256").update(data).digest());
}

/** Incremental SHA-256. */
export function createHasher(): { update(data: Uint8Array): void; digest(): Sha256 } {
  const h = createHash("sha256");
  return {
    update: (data) => void h.update(data),
    digest: () => Sha256.fromBytes(h.digest()),
  };
}
