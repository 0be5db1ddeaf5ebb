/**
 * Helpers for the storage engine's tests. Test-only: production code must not import this file.
 */
import { createCipheriv, createHash } from "node:crypto";
import type { BlobStore } from "../blob/blob-store.js";

/** `n` deterministic, incompressible bytes for `seed` (AES-256-CTR keystream). */
export function noise(n: number, seed: number): Uint8Array {
  const key = createHash("sha256").update(`noise ${seed}`).digest();
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return new Uint8Array(c.update(Buffer.alloc(n)));
}

/** JSON lines of `count` sorted records; `edit(i)` true renders record i differently. */
export function jsonRecords(count: number, edit: (i: number) => boolean = () => false): Uint8Array {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = Math.imul(i, 2654435761) >>> 0;
    lines.push(
      `{"id":${i},"name":"user ${r % 9973}","email":"u${i}@example.com","balance":${(r % 100000) / 100},` +
        `"active":${r % 3 === 0},"v":${edit(i) ? 2 : 1}}\n`,
    );
  }
  return new TextEncoder().encode(lines.join(""));
}

/** Streams `data` in pieces of `piece` bytes. */
export async function* streamOf(data: Uint8Array, piece = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += piece) yield data.subarray(at, Math.min(data.length, at + piece));
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Rewrites a stored object with one bit flipped at `byte`. */
export async function flipBit(store: BlobStore, key: string, byte: number, bit = 0): Promise<void> {
  const data = await collect(store.get(key));
  data[byte] ^= 1 << bit;
  await store.put(key, data);
}

/** Lists every key under `prefix`. */
export async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}
