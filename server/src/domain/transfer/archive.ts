import tar from "tar-stream";
import type { Extract, Pack } from "tar-stream";
import { dataLoss, invalidField, isDomainError } from "../errors.js";
import { CIPHER_ALGORITHM, CHUNK_BYTES, keyCheck, newNoncePrefix, open, seal, sealedSize } from "./stream-cipher.js";
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, MAX_MANIFEST_BYTES, parseManifest, type ExportManifest } from "./manifest.js";

/**
 * Export archives (docs/export-format.md): a POSIX tar of three members, in this order:
 * `vellum-export.json` (the envelope: format, version and, when encrypted, the cipher parameters),
 * `manifest.json` (or `manifest.json.enc`) and `content` (or `content.enc`). Written and read as
 * streams: memory stays bounded by a few chunks whatever the content size.
 */
type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

export const ENVELOPE_ENTRY = "vellum-export.json";
const MAX_ENVELOPE_BYTES = 64 * 1024;
const TAR_BLOCK = 512;

interface Envelope {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  encryption?: { algorithm: string; chunk_bytes: number; key_check: string; nonce_prefixes: Record<string, string> };
}

const padded = (n: number) => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;

export interface ArchiveOutput {
  /** Exact byte length of `body`. */
  size: number;
  body: AsyncIterable<Uint8Array>;
}

/** Writes the archive of `manifest` and `content` (exactly manifest.size bytes), encrypted when `key` is given. */
export function writeArchive(manifest: ExportManifest, content: AsyncIterable<Uint8Array>, key?: Uint8Array): ArchiveOutput {
  const manifestBytes = Buffer.from(JSON.stringify(manifest), "utf8");
  const names = key ? { manifest: "manifest.json.enc", content: "content.enc" } : { manifest: "manifest.json", content: "content" };
  const prefixes = key ? { manifest: newNoncePrefix(), content: newNoncePrefix() } : undefined;
  const envelope: Envelope = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION };
  if (key && prefixes) {
    envelope.encryption = {
      algorithm: CIPHER_ALGORITHM,
      chunk_bytes: CHUNK_BYTES,
      key_check: keyCheck(key),
      nonce_prefixes: { [names.manifest]: prefixes.manifest.toString("base64"), [names.content]: prefixes.content.toString("base64") },
    };
  }
  const envelopeBytes = Buffer.from(JSON.stringify(envelope), "utf8");
  const sized = (n: number) => (key ? sealedSize(n) : n);
  const entries = [
    { name: ENVELOPE_ENTRY, size: envelopeBytes.length, body: once1(envelopeBytes) },
    {
      name: names.manifest,
      size: sized(manifestBytes.length),
      body: key && prefixes ? seal(once1(manifestBytes), key, prefixes.manifest, names.manifest) : once1(manifestBytes),
    },
    { name: names.content, size: sized(manifest.size), body: key && prefixes ? seal(content, key, prefixes.content, names.content) : content },
  ];
  const size = entries.reduce((n, e) => n + TAR_BLOCK + padded(e.size), 0) + 2 * TAR_BLOCK;
  const pack = tar.pack();
  (async () => {
    for (const e of entries) await addEntry(pack, e.name, e.size, e.body);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return { size, body: pack as AsyncIterable<Uint8Array> };
}

async function addEntry(pack: Pack, name: string, size: number, body: AsyncIterable<Uint8Array>): Promise<void> {
  let done!: (err?: Error | null) => void;
  const written = new Promise<void>((resolve, reject) => (done = (err) => (err ? reject(err) : resolve())));
  const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0), type: "file" }, (err) => done(err));
  entry.on("error", (err: Error) => done(err));
  written.catch(() => undefined); // observed below, or moot once the body failed
  let n = 0;
  for await (const c of body) {
    n += c.byteLength;
    if (n > size) throw dataLoss(`${name}: content is longer than its recorded size ${size}`);
    if (pack.destroyed) throw new Error("archive consumer went away");
    if (!entry.write(Buffer.from(c.buffer, c.byteOffset, c.byteLength))) await drainedOrClosed(entry as unknown as Emitter, pack as unknown as Emitter);
  }
  if (n !== size) throw dataLoss(`${name}: content is ${n} bytes, its recorded size is ${size}`);
  entry.end(undefined);
  await written;
}

async function* once1(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** An opened archive: its manifest, and its content as a stream (read it once, to the end). */
export interface ArchiveInput {
  manifest: ExportManifest;
  encrypted: boolean;
  content: AsyncIterable<Uint8Array>;
  /** Stops reading (whether or not `content` was read); the source is released as its reader ends. */
  close(): void;
}

const notArchive = (why: string) => invalidField("source", `is not a readable ${ARCHIVE_FORMAT} archive: ${why}`);

/**
 * Opens an archive from `source`. INVALID_ARGUMENT (field `source`) for something that is not an
 * archive, an encrypted archive without a key or with the wrong key (`decryption_key`); DATA_LOSS
 * for encrypted data that does not authenticate or an archive cut short.
 */
export async function readArchive(source: AsyncIterable<Uint8Array>, key?: Uint8Array): Promise<ArchiveInput> {
  const extract = tar.extract();
  const feeding = feed(source, extract);
  // Observed by the content reader; a reader that never starts (or a closed archive) must not leave it unhandled.
  feeding.catch(() => undefined);
  const entries = extract[Symbol.asyncIterator]() as AsyncIterator<TarEntry>;
  const next = async (what: string): Promise<TarEntry> => {
    let step: IteratorResult<TarEntry>;
    try {
      step = await entries.next();
    } catch {
      throw notArchive(`cannot read the ${what} member`);
    }
    if (step.done) throw notArchive(`the ${what} member is missing`);
    return step.value;
  };
  const readSmall = async (entry: TarEntry, max: number): Promise<Buffer> => {
    if ((entry.header.size ?? 0) > max) throw notArchive(`${entry.header.name} is larger than ${max} bytes`);
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  try {
    const first = await next("envelope");
    if (first.header.name !== ENVELOPE_ENTRY) throw notArchive(`the first member is not ${ENVELOPE_ENTRY}`);
    let envelope: Envelope;
    try {
      envelope = JSON.parse((await readSmall(first, MAX_ENVELOPE_BYTES)).toString("utf8")) as Envelope;
    } catch (e) {
      if (isDomainError(e)) throw e;
      throw notArchive("the envelope is not JSON");
    }
    if (envelope.format !== ARCHIVE_FORMAT || envelope.version !== ARCHIVE_VERSION) throw notArchive("unsupported format or version");
    const enc = envelope.encryption;
    if (enc) {
      if (enc.algorithm !== CIPHER_ALGORITHM || enc.chunk_bytes !== CHUNK_BYTES) throw notArchive(`unsupported cipher ${enc.algorithm}`);
      if (!key) throw invalidField("decryption_key", "is required: the archive is encrypted");
      if (keyCheck(key) !== enc.key_check) throw invalidField("decryption_key", "is not the key this archive was encrypted with");
    }
    const decrypt = (entry: TarEntry): AsyncIterable<Uint8Array> => {
      if (!enc || !key) return entry as AsyncIterable<Uint8Array>;
      const prefix = enc.nonce_prefixes[entry.header.name];
      if (!prefix) throw notArchive(`no cipher parameters for ${entry.header.name}`);
      return open(entry as AsyncIterable<Uint8Array>, key, Buffer.from(prefix, "base64"), entry.header.name, (m) => dataLoss(m));
    };
    const names = enc ? ["manifest.json.enc", "content.enc"] : ["manifest.json", "content"];
    const m = await next("manifest");
    if (m.header.name !== names[0]) throw notArchive(`expected ${names[0]}, found ${m.header.name}`);
    if ((m.header.size ?? 0) > sealedSize(MAX_MANIFEST_BYTES)) throw notArchive(`the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const parts: Uint8Array[] = [];
    for await (const c of decrypt(m)) parts.push(c);
    const manifest = parseManifest(Buffer.concat(parts));
    const c = await next("content");
    if (c.header.name !== names[1]) throw notArchive(`expected ${names[1]}, found ${c.header.name}`);
    const content = (async function* () {
      try {
        yield* decrypt(c);
        const rest = await entries.next();
        if (!rest.done) throw notArchive("unexpected members after the content");
        await feeding;
      } catch (e) {
        if (isDomainError(e)) throw e;
        throw dataLoss("the archive is cut short or unreadable", e);
      } finally {
        extract.destroy();
      }
    })();
    return { manifest, encrypted: enc !== undefined, content, close: () => extract.destroy() };
  } catch (e) {
    extract.destroy();
    throw e;
  }
}

type Emitter = { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown };

/** Resolves on `writable`'s next "drain" or when `closer` (default: itself) closes, removing the listeners. */
function drainedOrClosed(writable: Emitter, closer: Emitter = writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      writable.off("drain", done);
      closer.off("close", done);
      resolve();
    };
    writable.on("drain", done);
    closer.on("close", done);
  });
}

/** Writes `source` into the extractor with backpressure; ends it at the end, destroys it on failure. */
async function feed(source: AsyncIterable<Uint8Array>, extract: Extract): Promise<void> {
  try {
    for await (const piece of source) {
      if (extract.destroyed) return;
      if (!extract.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))) {
        await drainedOrClosed(extract);
      }
    }
    extract.end(undefined);
  } catch (err) {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
