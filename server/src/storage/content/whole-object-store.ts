import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { and, eq } from "drizzle-orm";
import { createHasher } from "../../domain/digest.js";
import { dataLoss, invalidField, isDomainError } from "../../domain/errors.js";
import type { ContentStore } from "../../domain/ports.js";
import { isBlobError, type BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { contentObjects } from "../db/schema/index.js";

/**
 * Whole-object content store: each distinct content is one blob keyed by its SHA-256, deduplicated
 * per store. Uploads are spooled to a local temp file while hashed, checked against expectations,
 * then written to the BlobStore (atomic, durable) before `ingest` resolves.
 *
 * Reads verify the SHA-256 of the whole object and hold back the final piece until it matches, so a
 * corrupted object ends the stream with DATA_LOSS instead of completing. Range reads of part of an
 * object are verified the same way over the whole object (the chunked engine verifies per chunk).
 */
export function createWholeObjectStore(deps: { db: Db; blobs: BlobStore; tmpDir: string; newId: () => string }): ContentStore {
  const keyOf = (storeId: string, sha: string) => `objects/${storeId}/${sha.slice(0, 2)}/${sha}`;

  async function* verified(storeId: string, sha256: string, size: number, signal?: AbortSignal) {
    const hasher = createHasher();
    let seen = 0;
    let held: Uint8Array | undefined;
    try {
      for await (const piece of deps.blobs.get(keyOf(storeId, sha256))) {
        signal?.throwIfAborted();
        hasher.update(piece);
        seen += piece.length;
        if (held) yield held;
        held = piece;
      }
    } catch (err) {
      if (isBlobError(err, "BlobNotFound")) throw dataLoss(`content ${sha256} is missing from storage`, err);
      throw err;
    }
    if (seen !== size || hasher.digest().toHex() !== sha256) {
      throw dataLoss(`content ${sha256} failed verification`);
    }
    if (held) yield held;
  }

  return {
    async ingest(storeId, source, opts) {
      await mkdir(deps.tmpDir, { recursive: true });
      const tmp = join(deps.tmpDir, `upload-${deps.newId()}`);
      const hasher = createHasher();
      let size = 0;
      try {
        await pipeline(
          Readable.from(
            (async function* () {
              for await (const piece of source) {
                hasher.update(piece);
                size += piece.length;
                yield piece;
              }
            })(),
          ),
          createWriteStream(tmp),
          { signal: opts.signal },
        );
        const sha256 = hasher.digest().toHex();
        if (opts.expected?.size !== undefined && opts.expected.size !== size) {
          throw invalidField("header.expected_size", `content was ${size} bytes, expected ${opts.expected.size}`);
        }
        if (opts.expected?.sha256 && opts.expected.sha256 !== sha256) {
          throw dataLoss("content does not match expected_sha256");
        }
        const key = keyOf(storeId, sha256);
        const [existing] = await deps.db
          .select()
          .from(contentObjects)
          .where(and(eq(contentObjects.storeId, storeId), eq(contentObjects.sha256, sha256)));
        if (!existing || !(await deps.blobs.stat(key))) {
          try {
            await deps.blobs.put(key, Readable.from(createReadStream(tmp)), { signal: opts.signal });
          } catch (err) {
            if (!isBlobError(err, "BlobAlreadyExists")) throw err;
          }
          await deps.db
            .insert(contentObjects)
            .values({ storeId, sha256, size, storedSize: size, blobKey: key, createTime: new Date() })
            .onConflictDoNothing();
        }
        return { contentRef: sha256, sha256, size, storedSize: size };
      } finally {
        await rm(tmp, { force: true });
      }
    },

    async *read(snapshot, range, signal) {
      let pos = 0;
      const end = range.offset + range.length;
      for await (const piece of verified(snapshot.storeId, snapshot.contentRef, snapshot.size, signal)) {
        const from = Math.max(range.offset - pos, 0);
        const to = Math.min(end - pos, piece.length);
        if (to > from) yield piece.subarray(from, to);
        pos += piece.length;
      }
    },

    async verify(snapshot, onProgress, signal) {
      let n = 0;
      try {
        for await (const piece of verified(snapshot.storeId, snapshot.contentRef, snapshot.size, signal)) {
          n += piece.length;
          onProgress(n);
        }
        return { bytesChecked: n, problems: [] };
      } catch (err) {
        if (isDomainError(err, "DataLoss")) {
          return { bytesChecked: n, problems: [{ subject: snapshot.contentRef, message: err.message }] };
        }
        throw err;
      }
    },
  };
}
