import { createHash } from "node:crypto";

/**
 * Digest bytes are copied into shared slabs of SLAB_DIGESTS digests: a multi-gigabyte ingest holds
 * hundreds of thousands of digests, and a separate 32-byte ArrayBuffer for each costs about 140
 * bytes of bookkeeping on top of the 32. A slab lives while any of its digests does; at 16 KiB
 * that bounds what one long-lived digest can pin.
 */
const SLAB_DIGESTS = 512;
let slab = new Uint8Array(0);
let slabAt = 0;

function copyToSlab(bytes: Uint8Array): Uint8Array {
  if (slabAt === slab.length) {
    slab = new Uint8Array(SLAB_DIGESTS * 32);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + 32);
  out.set(bytes);
  slabAt += 32;
  return out;
}

/** A SHA-256 content digest. Construct with `digestOf`, `parseDigest` or `Sha256.fromBytes`. */
export class Sha256 {
  private constructor(readonly bytes: Uint8Array) {}

  /** A digest holding a copy of `bytes` (32 bytes). */
  static fromBytes(bytes: Uint8Array): Sha256 {
    if (bytes.length !== 32) throw new TypeError(`sha256 digest must be 32 bytes, got ${bytes.length}`);
    return new Sha256(copyToSlab(bytes));
  }

  /** Lowercase hex, 64 characters. */
  toHex(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, 32).toString("hex");
  }

  toString(): string {
    return this.toHex();
  }

  equals(other: Sha256): boolean {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, 32).equals(other.bytes);
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
