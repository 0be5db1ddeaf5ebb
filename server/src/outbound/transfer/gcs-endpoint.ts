import type { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Storage } from "@google-cloud/storage";
import { failedPrecondition, invalidField, isDomainError, permissionDenied, unavailable, type DomainError } from "../../domain/errors.js";
import type { ArchiveSink, ArchiveSource } from "../../domain/transfer/ports.js";
import { httpStatus } from "../../storage/blob/gcs-errors.js";

const BUCKET_RE = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const OBJECT_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
/** Listener limit for one download's response body: the SDK's 12 plus headroom. */
const RESPONSE_BODY_LISTENERS = 16;
/** Archives above this size are sent as a resumable upload. */
const SIMPLE_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;

/** Parses `gs://bucket/object-path`; the path may be empty when `allowEmptyPath`. */
function parseGs(raw: string, field: string, allowEmptyPath: boolean): { bucket: string; path: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(raw);
  if (!m || !BUCKET_RE.test(m[1])) throw invalidField(field, "must be gs://<bucket>/<path> with a valid bucket name");
  const path = m[2].replace(/\/+$/, "");
  if (path === "" ? !allowEmptyPath : !OBJECT_RE.test(path) || path.split("/").some((s) => s === "." || s === "..")) {
    throw invalidField(field, "must name an object path of [A-Za-z0-9._-] segments");
  }
  return { bucket: m[1], path };
}

/** A Cloud Storage failure as a domain error: 401/403 PERMISSION_DENIED, 404 FAILED_PRECONDITION, else UNAVAILABLE (retried). */
function translate(e: unknown, what: string): DomainError {
  if (isDomainError(e)) return e;
  const status = httpStatus(e);
  if (status === 401 || status === 403) return permissionDenied(`Cloud Storage refused access to ${what}`);
  if (status === 404) return failedPrecondition(`${what} does not exist`, "TRANSFER_NOT_FOUND");
  return unavailable(`Cloud Storage failed for ${what}`, e);
}

/**
 * `gs://` destinations and sources through the server's Cloud Storage client (its credentials; no
 * credentials in the URL). An export is the object `<prefix>/<archive name>`, which appears only
 * when its upload is finalized; a cancelled upload leaves no object.
 */
export function createGcsEndpoint(opts: { storage: () => Promise<Storage> }) {
  return {
    async destination(raw: string, field: string, archiveName: string): Promise<ArchiveSink> {
      const { bucket, path } = parseGs(raw, field, true);
      const name = path ? `${path}/${archiveName}` : archiveName;
      const location = `gs://${bucket}/${name}`;
      return {
        location,
        async write(archive, _info, signal) {
          const file = (await opts.storage()).bucket(bucket).file(name);
          const sink = file.createWriteStream({
            resumable: archive.size > SIMPLE_UPLOAD_MAX_BYTES,
            validation: "crc32c",
            metadata: { contentType: "application/x-tar" },
          });
          try {
            await pipeline(Readable.from(archive.body), sink, { signal });
          } catch (e) {
            if (signal.aborted) throw signal.reason;
            throw translate(e, location);
          }
        },
      };
    },

    async source(raw: string, field: string): Promise<ArchiveSource> {
      const { bucket, path } = parseGs(raw, field, false);
      const location = `gs://${bucket}/${path}`;
      return {
        location,
        async open(signal) {
          const file = (await opts.storage()).bucket(bucket).file(path);
          try {
            await file.getMetadata();
          } catch (e) {
            throw translate(e, location);
          }
          const stream = file.createReadStream({ validation: "crc32c" });
          // The SDK puts a fixed 12 listeners on each response body (see gcs-blob-store.ts).
          stream.once("response", (body: EventEmitter) => body.setMaxListeners?.(RESPONSE_BODY_LISTENERS));
          signal.addEventListener("abort", () => stream.destroy(), { once: true });
          return {
            kind: "archive",
            close: () => stream.destroy(),
            body: (async function* () {
              try {
                for await (const c of stream) yield c as Uint8Array;
              } catch (e) {
                throw translate(e, location);
              } finally {
                stream.destroy();
              }
            })(),
          };
        },
      };
    },
  };
}
