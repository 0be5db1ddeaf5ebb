import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Storage } from "@google-cloud/storage";
import type { StorageClass } from "../../domain/snapshots/types.js";
import { assertValidKey } from "./blob-store.js";
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
 * GCS: the object is rewritten in place with the new class (objects.rewrite; same name and
 * content). The Cloud Storage emulator used by the tests does not implement rewrite, so this path
 * is exercised only against real GCS.
 */
export function createGcsTierMover(opts: { storage: Storage; bucket: string; prefix?: string }): TierMover {
  const bucket = opts.storage.bucket(opts.bucket);
  const nameOf = (key: string) => (opts.prefix ? `${opts.prefix}/${key}` : key);
  return {
    description: `gs://${opts.bucket} storage classes`,
    async move(key, from, to) {
      assertValidKey(key);
      if (from === to) return;
      try {
        await bucket.file(nameOf(key)).setStorageClass(GCS_STORAGE_CLASS[to]);
      } catch (e) {
        throw translateError(e, key);
      }
    },
  };
}
