import { constants, createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, realpath, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { invalidField, permissionDenied } from "../../domain/errors.js";
import type { ArchiveSink, ArchiveSource } from "../../domain/transfer/ports.js";

/**
 * `file://` destinations and sources, confined to the export root (VELLUM_EXPORT_ROOT). A path is
 * accepted only when it lies inside the root both as written and after resolving symbolic links
 * (of the path, or of its deepest existing ancestor), so neither `..` nor a link planted under the
 * root leads out. Archives are written to a temporary file opened with O_EXCL|O_NOFOLLOW in the
 * target directory and renamed into place when complete; a failed or cancelled write removes it.
 */
export function createFileEndpoint(opts: { root?: string }) {
  const inside = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  };
  async function realRoot(): Promise<string> {
    if (!opts.root) throw permissionDenied("file:// transfers are disabled: VELLUM_EXPORT_ROOT is not set");
    return realpath(opts.root);
  }

  /** The absolute path a file URL names, checked lexically against the root. */
  async function pathOf(raw: string, field: string): Promise<{ path: string; root: string }> {
    let path: string;
    try {
      const url = new URL(raw);
      if (url.host !== "") throw new Error("host");
      path = fileURLToPath(url);
    } catch {
      throw invalidField(field, "must be a file:///absolute/path URL without a host");
    }
    if (/%2f|%5c|%00/i.test(raw) || path.includes("\0")) throw invalidField(field, "must not encode '/', '\\' or NUL");
    const root = await realRoot();
    const p = resolve(path);
    if (!inside(root, p) && !inside(resolve(opts.root!), p)) throw permissionDenied(`${field} is outside the export root`);
    return { path: inside(root, p) ? p : join(root, relative(resolve(opts.root!), p)), root };
  }

  /** Resolves links of `p` (or of its deepest existing ancestor) and checks the result is inside `root`. */
  async function confined(p: string, root: string, field: string): Promise<void> {
    let probe = p;
    for (;;) {
      try {
        const real = await realpath(probe);
        if (!inside(root, real)) throw permissionDenied(`${field} leads outside the export root`);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        const up = dirname(probe);
        if (up === probe) return;
        probe = up;
      }
    }
  }

  return {
    async destination(raw: string, field: string, archiveName: string): Promise<ArchiveSink> {
      const { path: dir, root } = await pathOf(raw, field);
      await confined(dir, root, field);
      const target = join(dir, archiveName);
      return {
        location: `file://${target}`,
        async write(archive, _info, signal) {
          await mkdir(dir, { recursive: true });
          await confined(dir, root, field);
          const tmp = join(dir, `.${archiveName}.${randomBytes(6).toString("hex")}.partial`);
          const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          try {
            await pipeline(Readable.from(archive.body), createWriteStream("", { fd: fh, flush: true }), { signal });
            await confined(target, root, field);
            await rename(tmp, target);
          } catch (e) {
            await rm(tmp, { force: true });
            throw e;
          }
        },
      };
    },

    async source(raw: string, field: string): Promise<ArchiveSource> {
      const { path, root } = await pathOf(raw, field);
      await confined(path, root, field);
      return {
        location: `file://${path}`,
        async open(signal) {
          await confined(path, root, field);
          let fh;
          try {
            fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === "ENOENT") throw invalidField(field, "names no file");
            if (code === "ELOOP") throw permissionDenied(`${field} is a symbolic link`);
            throw e;
          }
          const body = createReadStream("", { fd: fh, signal });
          return { kind: "archive", body, close: () => body.destroy() };
        },
      };
    },
  };
}
