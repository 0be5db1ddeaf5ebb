/**
 * Local-disk BlobStore. Key `a/b/c` is the file `<root>/a/b/c`.
 *
 * - Writes go to a temp file under `<root>/~tmp/` (same file system, and `~` can never appear in a
 *   key, so temp files are never listed), are fsynced, then renamed (or, with `ifAbsent`,
 *   hard-linked: link() fails with EEXIST if the key exists, so of two racing puts exactly one
 *   wins) into place, and the directory is fsynced. When `put` resolves the object is durable.
 * - Streaming puts gather the chunks they pull (without copying them) up to 4 MiB or 256 chunks
 *   and write them with one writev, so memory stays bounded whatever the object's size.
 * - A put that fails or is aborted removes its temp file and leaves no object. Temp files of a
 *   process that crashed mid-put stay in `~tmp/`; they are never listed and can be deleted
 *   whenever no put is running.
 * - Reads open the file once and stream from that descriptor (1 MiB reads), so a concurrent
 *   overwrite never mixes two versions into one read. Bounded ranges (chunk reads) use a cached
 *   open handle (fs-read-handles.ts), checked per read to still be the file at the key's path.
 * - Where the file system takes O_DIRECT (probed once per store), writes and reads of ranges of
 *   up to 16 MiB skip the page cache through aligned slots (direct-io.ts); when no slot is free,
 *   an operation uses buffered I/O instead.
 * - Directories are created on demand and never removed. A key cannot be both an object and a
 *   "directory" of other keys (`a` and `a/b`): such a put fails with TypeError.
 * - File-system errors other than "not found" surface as BlobUnavailable with the cause attached.
 */
import { randomBytes } from "node:crypto";
import { constants, type Dirent, promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import {
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  assertValidKey,
  blobAlreadyExists,
  blobNotFound,
  blobUnavailable,
  isBlobError,
} from "./blob-store.js";
import { abortableChunks, assertRangeShape, resolveRange } from "./blob-support.js";
import { type SlotPool, probeDirectIo, readThroughSlot, sharedSlots, writeThroughSlot } from "./direct-io.js";
import { createReadHandles, openForRead } from "./fs-read-handles.js";

export interface FsBlobStoreOptions {
  /** Directory holding the objects; created if missing. Made absolute against the cwd. */
  root: string;
  /** Aligned buffers for direct I/O; default the process's shared pool. */
  slots?: SlotPool;
  /** Cached read handles: at most `max` (default 64), closed after `idleMs` unused (default 10 s). */
  readHandles?: { max?: number; idleMs?: number };
}

const READ_HIGH_WATER_MARK = 1024 * 1024;
/** Ranges up to this size are read with positional reads into one buffer instead of a stream. */
const DIRECT_READ_MAX = 16 * 1024 * 1024;
/**
 * Body chunks are gathered (not copied) until this many bytes or WRITE_IOVECS chunks, then written
 * with one writev: a 16 MiB pack is four system calls and four event-loop hops instead of sixteen
 * of each, which matters when the event loop is busy and every hop waits for it. A pack streams
 * to its put as it fills, so these writes spread over the filling.
 */
const WRITE_GATHER_BYTES = 4 * 1024 * 1024;
const WRITE_IOVECS = 256;
/** Directory under the root that holds in-flight writes; `~` cannot occur in a key. */
export const FS_TMP_DIR = "~tmp";
const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;

export function createFsBlobStore(options: FsBlobStoreOptions): BlobStore {
  const root = resolve(options.root);
  const tmpDir = join(root, FS_TMP_DIR);
  const pool = options.slots ?? sharedSlots;
  const handles = createReadHandles(options.readHandles);
  let direct: Promise<boolean> | undefined;
  /** A slot for one direct read or write, when the file system takes O_DIRECT and one is free. */
  const directSlot = async (): Promise<Uint8Array | undefined> => {
    direct ??= fs.mkdir(tmpDir, { recursive: true }).then(() => probeDirectIo(tmpDir, pool), () => false);
    return (await direct) ? pool.acquire() : undefined;
  };

  const pathOf = (key: string): string => {
    assertValidKey(key);
    const path = join(root, ...key.split("/"));
    const rel = relative(root, path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new TypeError(`invalid blob key: ${JSON.stringify(key)}`);
    }
    return path;
  };

  return {
    description: `file://${root}`,

    async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<BlobInfo> {
      const target = pathOf(key);
      opts.signal?.throwIfAborted();
      try {
        if (opts.ifAbsent && (await exists(target))) throw blobAlreadyExists(key);
        await fs.mkdir(tmpDir, { recursive: true });
      } catch (e) {
        throw translate(e, key);
      }
      const tmp = join(tmpDir, `${randomBytes(12).toString("hex")}.tmp`);
      try {
        const slot = await directSlot();
        let size: number;
        try {
          size = await writeDurably(tmp, body, opts.signal, key, slot);
        } finally {
          if (slot) pool.release(slot);
        }
        await commit(tmp, target, key, opts.ifAbsent === true);
        return { key, size };
      } finally {
        handles.forget(key); // whatever the commit got to, a handle cached before it may be stale
        // Gone after a rename; the spare link after link(); the partial file after a failure.
        await fs.rm(tmp, { force: true }).catch(() => undefined);
      }
    },

    get(key: string, range?: ByteRange): AsyncIterable<Uint8Array> {
      const path = pathOf(key);
      if (range) assertRangeShape(range);
      return (async function* () {
        // Only bounded ranges (the chunk reader's) go direct and through a cached handle: the slot
        // and the handle are held for one read, never while a consumer holds the generator.
        const bounded = range?.length !== undefined && range.length <= DIRECT_READ_MAX;
        let slot = bounded ? await directSlot() : undefined;
        const lend = () => {
          if (slot) pool.release(slot);
          slot = undefined;
        };
        let fh: FileHandle | undefined;
        let release: ((failed?: boolean) => void) | undefined; // a cached handle's, instead of a close
        let handedOver = false;
        try {
          let size: number;
          if (bounded) {
            const lent = await handles.lend(key, path, slot !== undefined).catch((e: unknown) => {
              throw translate(e, key);
            });
            ({ fh, release, size } = lent);
            if (!lent.direct) lend();
          } else {
            fh = (await openForRead(path, key, false).catch((e: unknown) => Promise.reject(translate(e, key)))).fh;
            const st = await fh.stat().catch((e: unknown) => {
              throw translate(e, key);
            });
            if (!st.isFile()) throw blobNotFound(key);
            size = st.size;
          }
          const { start, end } = resolveRange(key, range, size);
          if (end <= start) return;
          if (end - start <= DIRECT_READ_MAX) {
            // One read into one buffer: chunk reads (a few MiB) skip the stream and its copies.
            const bytes = await readInto(fh, start, end - start, key, slot).catch((e: unknown) => {
              release?.(true); // a handle that failed a read is not lent again
              throw e;
            });
            lend(); // before the consumer gets the bytes, however long it keeps the generator
            release?.();
            yield bytes;
            return;
          }
          const stream = fh.createReadStream({ start, end: end - 1, highWaterMark: READ_HIGH_WATER_MARK });
          handedOver = true; // the stream closes the handle when it ends or is destroyed
          try {
            for await (const chunk of stream) yield chunk as Buffer;
          } catch (e) {
            throw translate(e, key);
          }
        } finally {
          lend();
          if (release) release();
          else if (!handedOver) await fh?.close().catch(() => undefined);
        }
      })();
    },

    async stat(key: string): Promise<BlobInfo | undefined> {
      const path = pathOf(key);
      try {
        const st = await fs.stat(path);
        return st.isFile() ? { key, size: st.size } : undefined;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw translate(e, key);
      }
    },

    list(prefix: string): AsyncIterable<BlobInfo> {
      return walk(root, "", prefix);
    },

    async delete(key: string): Promise<void> {
      const path = pathOf(key);
      try {
        // An object moved to a tier directory is a symbolic link to its file there: both go.
        const link = await fs.readlink(path).catch(() => undefined);
        if (link !== undefined) await fs.unlink(resolve(dirname(path), link)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
        await fs.unlink(path);
      } catch (e) {
        // A directory at that path is not an object either: nothing to delete.
        if (isMissing(e) || errno(e) === "EISDIR" || errno(e) === "EPERM") return;
        throw translate(e, key);
      } finally {
        handles.forget(key);
      }
    },
  };
}

/**
 * Reads `length` bytes at `position` (fewer only if the file ends first); through `slot` when the
 * handle was opened with O_DIRECT.
 */
async function readInto(fh: FileHandle, position: number, length: number, key: string, slot?: Uint8Array): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  try {
    if (slot) at = await readThroughSlot(fh, position, length, slot, out);
    else while (at < length) {
      const { bytesRead } = await fh.read(out, at, length - at, position + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
  } catch (e) {
    throw translate(e, key);
  }
  return at === length ? out : out.subarray(0, at);
}

/**
 * Streams the body into a new file at `tmp` and fsyncs it. Returns the number of bytes written.
 * With a slot, the file is written with O_DIRECT through it.
 */
async function writeDurably(tmp: string, body: BlobBody, signal: AbortSignal | undefined, key: string, slot: Uint8Array | undefined) {
  let fh: FileHandle;
  try {
    fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (slot ? constants.O_DIRECT : 0), 0o644);
  } catch (e) {
    throw translate(e, key);
  }
  try {
    if (slot) {
      const size = await writeThroughSlot(fh, abortableChunks(body, signal), slot, (e) => translate(e, key));
      await fh.sync().catch((e: unknown) => {
        throw translate(e, key);
      });
      return size;
    }
    // The BlobStore contract lets a put keep yielded chunks until it resolves, so they are
    // gathered as they are.
    let gathered: Uint8Array[] = [];
    let gatheredBytes = 0;
    let size = 0;
    for await (const chunk of abortableChunks(body, signal)) {
      if (chunk.byteLength === 0) continue;
      size += chunk.byteLength;
      gathered.push(chunk);
      gatheredBytes += chunk.byteLength;
      if (gatheredBytes >= WRITE_GATHER_BYTES || gathered.length >= WRITE_IOVECS) {
        await writeAll(fh, gathered, key);
        gathered = [];
        gatheredBytes = 0;
      }
    }
    if (gathered.length) await writeAll(fh, gathered, key);
    await fh.sync().catch((e: unknown) => {
      throw translate(e, key);
    });
    return size;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Writes every byte of `parts` in order with writev, continuing after short writes. */
async function writeAll(fh: FileHandle, parts: Uint8Array[], key: string): Promise<void> {
  try {
    let rest = parts;
    while (rest.length) {
      const { bytesWritten } = await fh.writev(rest as NodeJS.ArrayBufferView[]);
      let n = bytesWritten;
      let i = 0;
      while (i < rest.length && n >= rest[i].byteLength) n -= rest[i++].byteLength;
      rest = rest.slice(i);
      if (n > 0) rest[0] = rest[0].subarray(n);
    }
  } catch (e) {
    throw translate(e, key);
  }
}

/**
 * Moves the fsynced temp file to `target` (rename, or link() when `ifAbsent`) and fsyncs every
 * directory whose entries changed. The caller removes `tmp` afterwards in every case.
 */
async function commit(tmp: string, target: string, key: string, ifAbsent: boolean): Promise<void> {
  const dir = dirname(target);
  let firstCreated: string | undefined;
  try {
    firstCreated = await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    if (errno(e) === "ENOTDIR" || errno(e) === "EEXIST") throw keyConflict(key, e);
    throw translate(e, key);
  }
  try {
    if (ifAbsent) await fs.link(tmp, target);
    else await fs.rename(tmp, target);
  } catch (e) {
    if (ifAbsent && errno(e) === "EEXIST") throw blobAlreadyExists(key);
    if (["ENOTDIR", "EISDIR", "EEXIST"].includes(errno(e) ?? "")) throw keyConflict(key, e);
    throw translate(e, key);
  }
  // The new entry, and every directory created for it, must be durable in its parent.
  const dirs = new Set([dir]);
  if (firstCreated !== undefined) {
    for (let d = dir; dirname(d) !== d; d = dirname(d)) {
      dirs.add(dirname(d));
      if (d === firstCreated) break;
    }
  }
  try {
    for (const d of dirs) await fsyncDir(d);
  } catch (e) {
    throw translate(e, key);
  }
}

const keyConflict = (key: string, cause: unknown) =>
  new TypeError(`blob key ${key} conflicts with another key's directory`, { cause });

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Yields every object whose key starts with `prefix`, in lexicographic key order. Entries of a
 * directory are visited in the order of the keys they lead to (a subdirectory `d` sorts as `d/`),
 * and only directories that can hold matching keys are entered.
 */
async function* walk(root: string, dirKey: string, prefix: string): AsyncIterable<BlobInfo> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dirKey === "" ? root : join(root, ...dirKey.split("/")), { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return;
    throw translate(e, dirKey);
  }
  const items = entries
    .filter((d) => SEGMENT_RE.test(d.name) && d.name !== "." && d.name !== ".." && (d.isFile() || d.isDirectory() || d.isSymbolicLink()))
    .map((d) => ({ key: dirKey + d.name, isDir: d.isDirectory() }))
    .map((d) => ({ ...d, sortKey: d.isDir ? `${d.key}/` : d.key }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const item of items) {
    if (item.isDir) {
      if (item.sortKey.startsWith(prefix) || prefix.startsWith(item.sortKey)) yield* walk(root, item.sortKey, prefix);
      continue;
    }
    if (!item.key.startsWith(prefix)) continue;
    try {
      const st = await fs.stat(join(root, ...item.key.split("/")));
      if (st.isFile()) yield { key: item.key, size: st.size };
    } catch (e) {
      if (!isMissing(e)) throw translate(e, item.key); // deleted since readdir: skip it
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

const errno = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;

const isMissing = (e: unknown) => errno(e) === "ENOENT" || errno(e) === "ENOTDIR";

/** Maps a file-system error to the port's errors; port errors and TypeErrors pass through. */
function translate(e: unknown, key: string): Error {
  if (isBlobError(e) || e instanceof TypeError) return e;
  if (isMissing(e)) return blobNotFound(key);
  return blobUnavailable(key, e);
}
