/**
 * Open read handles of the local-disk store, kept for range reads. A chunk read is one small
 * positional read of a pack; opening, and closing, the file for each cost more CPU than the read
 * (a profiled download and three incremental uploads spent 0.56 s in open and close alone).
 *
 * - At most `max` handles are cached, least recently used evicted first. A handle is closed only
 *   once it is out of the cache and no read holds it (reference counted), so eviction, deletion
 *   or overwrite never closes a handle under a read.
 * - Every read fstat()s its handle (synchronously, see lend): a file whose last link is gone
 *   (deleted, or replaced by a rename: an overwrite by any process, a tier move) has nlink 0, and
 *   is reopened by path. A cached handle therefore reads what the path names at the time of the
 *   read, as a fresh open would; `forget` (the store's puts and deletes) drops it sooner.
 * - Handles opened with O_DIRECT and without are cached apart: a direct handle is only lent to a
 *   read that holds an aligned slot.
 * - Handles unused for `idleMs` are closed by an unreferenced timer, which stops once the cache is
 *   empty: idle handles neither keep the process alive nor hold deleted files' space for long.
 */
import { constants, fstatSync, promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { blobNotFound } from "./blob-store.js";

/** A handle lent to one read; `release` exactly once, after the read. */
export interface LentHandle {
  fh: FileHandle;
  /** Whether the handle was opened with O_DIRECT. */
  direct: boolean;
  /** The file's size, from the fstat of this read. */
  size: number;
  /** Gives the handle back; `failed` drops it from the cache (a read on it failed). */
  release(failed?: boolean): void;
}

export interface ReadHandles {
  /**
   * A handle on the file at `path`, opened with O_DIRECT when `direct` and the open takes it.
   * Throws BlobNotFound when there is no file, else the file system's error (the caller's to map).
   */
  lend(key: string, path: string, direct: boolean): Promise<LentHandle>;
  /** Drops `key`'s handles; call after the file at its path was replaced or removed. */
  forget(key: string): void;
}

interface Entry {
  opened: Promise<{ fh: FileHandle; direct: boolean }>;
  refs: number;
  /** Out of the cache: closed once refs reaches 0. */
  dead: boolean;
  closed: boolean;
  lastUsed: number;
}

export function createReadHandles(opts: { max?: number; idleMs?: number } = {}): ReadHandles {
  const max = Math.max(1, opts.max ?? 64);
  const idleMs = opts.idleMs ?? 10_000;
  const entries = new Map<string, Entry>(); // in LRU order, oldest first
  let sweeper: NodeJS.Timeout | undefined;

  const closeIfIdle = (e: Entry) => {
    if (!e.dead || e.refs > 0 || e.closed) return;
    e.closed = true;
    void e.opened.then(({ fh }) => fh.close()).catch(() => undefined);
  };
  const drop = (id: string, e: Entry) => {
    if (entries.get(id) === e) entries.delete(id);
    e.dead = true;
    closeIfIdle(e);
    if (entries.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const sweep = () => {
    const before = Date.now() - idleMs;
    for (const [id, e] of entries) if (e.refs === 0 && e.lastUsed <= before) drop(id, e);
  };

  /** The cached entry for `id`, or a new one opening `path`. */
  const entryFor = (id: string, key: string, path: string, direct: boolean): Entry => {
    const hit = entries.get(id);
    if (hit) {
      entries.delete(id); // re-inserted below: now the most recently used
      entries.set(id, hit);
      return hit;
    }
    const e: Entry = { opened: openForRead(path, key, direct), refs: 0, dead: false, closed: false, lastUsed: Date.now() };
    e.opened.catch(() => drop(id, e)); // a failed open is never cached
    entries.set(id, e);
    for (const [oldId, old] of entries) {
      if (entries.size <= max) break;
      drop(oldId, old);
    }
    sweeper ??= setInterval(sweep, idleMs).unref();
    return e;
  };

  return {
    async lend(key, path, direct) {
      const id = `${direct ? "d" : "b"}:${key}`;
      for (let attempt = 0; ; attempt++) {
        const e = entryFor(id, key, path, direct);
        e.refs++;
        let done = false;
        const release = (failed = false) => {
          if (done) return;
          done = true;
          e.refs--;
          e.lastUsed = Date.now();
          if (failed) drop(id, e);
          else closeIfIdle(e);
        };
        try {
          const { fh, direct: got } = await e.opened;
          // Synchronous: fstat of an open descriptor reads the in-memory inode and does not wait
          // for the disk; through the promise API its thread-pool round trip cost 0.4 s of CPU
          // in the profiled run (three 100 MB uploads and a download), as much as the open saved.
          const st = fstatSync(fh.fd);
          // nlink 0: removed or replaced since it was opened; the path is opened again, once (a
          // file removed between that open and its fstat is read as a fresh open would read it).
          if (st.nlink === 0 && attempt === 0) {
            release(true);
            continue;
          }
          if (!st.isFile()) throw blobNotFound(key);
          return { fh, direct: got, size: st.size, release };
        } catch (err) {
          release(true);
          throw err;
        }
      }
    },

    forget(key) {
      for (const id of [`d:${key}`, `b:${key}`]) {
        const e = entries.get(id);
        if (e) drop(id, e);
      }
    },
  };
}

/**
 * Opens for reading, with O_DIRECT when `direct` and the open takes it (a directory, say, refuses
 * it; then the plain open decides). `direct` in the result says which it got.
 */
export async function openForRead(path: string, key: string, direct: boolean): Promise<{ fh: FileHandle; direct: boolean }> {
  try {
    return { fh: await fs.open(path, constants.O_RDONLY | (direct ? constants.O_DIRECT : 0)), direct };
  } catch (e) {
    if (isMissing(e)) throw blobNotFound(key);
    if (direct) return openForRead(path, key, false);
    throw e;
  }
}

const errno = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;

const isMissing = (e: unknown) => errno(e) === "ENOENT" || errno(e) === "ENOTDIR";
