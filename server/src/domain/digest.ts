import { createHash, hash } from "node:crypto";

/**
 * Digest bytes live in shared slabs of SLAB_DIGESTS digests, and a digest object holds only its
 * slab and offset: a multi-gigabyte ingest keeps hundreds of thousands of digests, and a typed
 * array (plus, unshared, an ArrayBuffer) per digest costs several times the 32 bytes it holds.
 * `bytes` is a fresh view on each access. A slab lives while any of its digests does; at 16 KiB
 * that bounds what one long-lived digest can pin.
 */
const SLAB_DIGESTS = 512;
let slab = Buffer.alloc(0);
let slabAt = 0;

/** A SHA-256 content digest. Construct with `digestOf`, `parseDigest` or `Sha256.fromBytes`. */
export class Sha256 {
  private constructor(
    private readonly slab: Buffer,
    private readonly at: number,
  ) {}

  /** A digest holding a copy of `bytes` (32 bytes). */
  static fromBytes(bytes: Uint8Array): Sha256 {
    if (bytes.length !== 32) throw new TypeError(`sha256 digest must be 32 bytes, got ${bytes.length}`);
    if (slabAt === slab.length) {
      slab = Buffer.allocUnsafe(SLAB_DIGESTS * 32);
      slabAt = 0;
    }
    slab.set(bytes, slabAt);
    slabAt += 32;
    return new Sha256(slab, slabAt - 32);
  }

  /** The 32 digest bytes (a view: do not modify). */
  get bytes(): Uint8Array {
    return this.slab.subarray(this.at, this.at + 32);
  }

  /** Lowercase hex, 64 characters. */
  toHex(): string {
    return this.slab.toString("hex", this.at, this.at + 32);
  }

  /** A compact map key: the 32 bytes as a Latin-1 string (half the size of the hex). */
  key(): string {
    return this.slab.toString("latin1", this.at, this.at + 32);
  }

  toString(): string {
    return this.toHex();
  }

  equals(other: Sha256): boolean {
    return this.slab.compare(other.slab, other.at, other.at + 32, this.at, this.at + 32) === 0;
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
  return Sha256.fromBytes(hash("sha256", data, "buffer"));
}

/** Incremental SHA-256. */
export function createHasher(): { update(data: Uint8Array): void; digest(): Sha256 } {
  const h = createHash("sha256");
  return {
    update: (data) => void h.update(data),
    digest: () => Sha256.fromBytes(h.digest()),
  };
}
