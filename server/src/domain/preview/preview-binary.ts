const MAGIC: [string, number[]][] = [
  ["PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["JPEG image", [0xff, 0xd8, 0xff]],
  ["GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["WebP image", [0x52, 0x49, 0x46, 0x46]],
  ["PDF document", [0x25, 0x50, 0x44, 0x46]],
  ["ZIP archive", [0x50, 0x4b, 0x03, 0x04]],
  ["gzip data", [0x1f, 0x8b]],
  ["zstd data", [0x28, 0xb5, 0x2f, 0xfd]],
  ["PostgreSQL custom dump", [0x50, 0x47, 0x44, 0x4d, 0x50]],
  ["SQLite database", [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65]],
];

/** Bytes of a binary preview's hex dump. */
export const HEX_BYTES = 64;

/** A recognised format from the leading bytes, or undefined. */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  return MAGIC.find(([, sig]) => sig.every((b, i) => bytes[i] === b))?.[0];
}

/**
 * A summary of opaque bytes: size, SHA-256, a format recognised from magic bytes, and, only when
 * not redacting, a hex dump of `head` (the first HEX_BYTES bytes): hex is as readable as text to
 * anyone looking for a secret, so redaction leaves it out.
 */
export function previewBinary(src: { size: number; sha256: string; head: Uint8Array }, opts: { redact: boolean }): string {
  const lines = [`binary, ${src.size} bytes`, `sha256 ${src.sha256}`];
  const format = sniffFormat(src.head);
  if (format) lines.push(`format: ${format}`);
  if (!opts.redact && src.head.length > 0) {
    const head = src.head.subarray(0, HEX_BYTES);
    for (let off = 0; off < head.length; off += 16) {
      const row = [...head.subarray(off, off + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      lines.push(`${off.toString(16).padStart(8, "0")}  ${row}`);
    }
    if (src.size > head.length) lines.push("…");
  }
  return `${lines.join("\n")}\n`;
}
