import { createCipheriv, createHash } from "node:crypto";

/**
 * `total` incompressible bytes for `seed` (an AES-256-CTR keystream, fast and deterministic), in
 * fresh buffers of `piece` bytes (a transport may hold on to what it was given), and their
 * SHA-256 once the stream has ended.
 */
export function noiseStream(total: number, seed: number, piece = 1024 * 1024): { chunks: AsyncGenerator<Uint8Array>; sha256(): string } {
  const key = createHash("sha256").update(`noise stream ${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const hash = createHash("sha256");
  let digest: string | undefined;
  const zeros = Buffer.alloc(piece);
  return {
    chunks: (async function* () {
      for (let sent = 0; sent < total; sent += piece) {
        const chunk = cipher.update(zeros.subarray(0, Math.min(piece, total - sent)));
        hash.update(chunk);
        yield chunk;
      }
      digest = hash.digest("hex");
    })(),
    sha256() {
      if (digest === undefined) throw new Error("the noise stream has not ended");
      return digest;
    },
  };
}
