import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Storage } from "@google-cloud/storage";
import type { StorageClass } from "../../domain/snapshots/types.js";
import { assertValidKey, blobUnavailable } from "./blob-store.js";
import { readStream } from "./gcs-blob-store.js";
import { translateError } from "./gcs-errors.js";

/**
 * Moves one stored object between storage classes without changing its key, so every reader keeps
 * reading it by the same key. STANDARD is where the blob store writes.
 */
export interface TierMover {
  readonly description: string;
  move(key: string, from: StorageClass, to: StorageClass): Promise<void>;
}

/**
 * Local disk: a COLD or ARCHIVE object is a file under that tier's directory, and a symbolic link
 * at the object's place in the blob root points at it (reads follow it; fs-blob-store's delete
 * removes both). Each step is crash-safe: the file is copied and fsynced before the link replaces
 * the object (rename), and the old file is removed only after the rename.
 */
export function createFsTierMover(opts: { root: string; tierDirs: Record<"COLD" | "ARCHIVE", string> }): TierMover {
  const root = resolve(opts.root);
  const placeOf = (cls: StorageClass, key: string) => join(cls === "STANDARD" ? root : resolve(opts.tierDirs[cls]), ...key.split("/"));
  const tmpIn = (dir: string) => join(dir, `.${randomBytes(8).toString("hex")}.tier-tmp`);

  async function copyDurably(from: string, to: string): Promise<void> {
    await fs.mkdir(dirname(to), { recursive: true });
    const tmp = tmpIn(dirname(to));
    await fs.copyFile(from, tmp);
    const fh = await fs.open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, to);
  }

  return {
    description: `tiers COLD=${opts.tierDirs.COLD} ARCHIVE=${opts.tierDirs.ARCHIVE}`,
    async move(key, from, to) {
      assertValidKey(key);
      if (from === to) return;
      const object = placeOf("STANDARD", key);
      const source = placeOf(from, key);
      if (to === "STANDARD") {
        await copyDurably(source, object); // the rename replaces the link with the file
      } else {
        const target = placeOf(to, key);
        await copyDurably(source === object ? await fs.realpath(object) : source, target);
        const link = tmpIn(dirname(object));
        await fs.symlink(target, link);
        await fs.rename(link, object);
      }
      if (from !== "STANDARD") await fs.unlink(source).catch(() => undefined);
    },
  };
}

/** GCS classes of the domain's storage classes. */
export const GCS_STORAGE_CLASS: Record<StorageClass, string> = { STANDARD: "STANDARD", COLD: "COLDLINE", ARCHIVE: "ARCHIVE" };

/**
 * GCS: the object is re-uploaded under the same name with the new class, its bytes streamed
 * through this process: the source generation is read, and the upload carries
 * `ifGenerationMatch: <that generation>`, so a concurrent overwrite or delete (reclaim) of the
 * object fails the move (BlobAlreadyExists from the 412, or BlobNotFound) instead of being
 * undone; the job's retry then moves what is there. The new object must match the
 * source's size, CRC32C and MD5, else the move fails (the upload itself is CRC32C-validated).
 *
 * Cost: each move is one read and one write of the pack through Vellum (a pack is at most
 * VELLUM_PACK_TARGET_BYTES), plus, from COLDLINE or ARCHIVE, that class's retrieval fee and
 * any early-deletion charge of the replaced object. A server-side objects.rewrite would save
 * the transfer, but the Cloud Storage emulator the tests run against does not implement it, and
 * one code path for both is worth the bytes. Memory stays bounded: the body is streamed.
 */
export function createGcsTierMover(opts: { storage: Storage; bucket: string; prefix?: string; simpleUploadMaxBytes?: number }): TierMover {
  const bucket = opts.storage.bucket(opts.bucket);
  const nameOf = (key: string) => (opts.prefix ? `${opts.prefix}/${key}` : key);
  const simpleMax = opts.simpleUploadMaxBytes ?? 4 * 1024 * 1024;
  return {
    description: `gs://${opts.bucket} storage classes`,
    async move(key, from, to) {
      assertValidKey(key);
      if (from === to) return;
      const name = nameOf(key);
      let written: { size?: unknown; crc32c?: unknown; md5Hash?: unknown };
      let source: { size?: unknown; crc32c?: unknown; md5Hash?: unknown; generation?: unknown; contentType?: unknown };
      try {
        [source] = await bucket.file(name).getMetadata();
        const generation = Number(source.generation);
        const target = bucket.file(name);
        await pipeline(
          readStream(bucket.file(name, { generation }), { validation: "crc32c" }),
          target.createWriteStream({
            resumable: Number(source.size) > simpleMax,
            validation: "crc32c",
            metadata: { contentType: typeof source.contentType === "string" ? source.contentType : "application/octet-stream", storageClass: GCS_STORAGE_CLASS[to] },
            preconditionOpts: { ifGenerationMatch: generation },
          }),
        );
        [written] = await target.getMetadata();
      } catch (e) {
        throw translateError(e, key);
      }
      for (const f of ["size", "crc32c", "md5Hash"] as const) {
        if (String(written[f]) !== String(source[f])) throw blobUnavailable(key, new Error(`storage class move of ${key}: ${f} ${String(written[f])} differs from the source's ${String(source[f])}`));
      }
    },
  };
}
