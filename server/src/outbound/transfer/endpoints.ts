import type { Storage } from "@google-cloud/storage";
import { invalidField } from "../../domain/errors.js";
import type { TransferEndpoints } from "../../domain/transfer/ports.js";
import type { OutboundGuard } from "../outbound-guard.js";
import { createFileEndpoint } from "./file-endpoint.js";
import { createGcsEndpoint } from "./gcs-endpoint.js";
import { createHttpEndpoint } from "./http-endpoint.js";

/** Longest destination or source URL accepted. */
const MAX_URL_CHARS = 4096;

export interface TransferEndpointOptions {
  /** VELLUM_EXPORT_ROOT; without it file:// is PERMISSION_DENIED. */
  exportRoot?: string;
  guard: OutboundGuard;
  /** The Cloud Storage client for gs:// (created on first use). */
  storage: () => Promise<Storage>;
}

/** Export destinations and import sources by scheme: gs://, file://, https:// (http:// for allowlisted hosts). */
export function createTransferEndpoints(opts: TransferEndpointOptions): TransferEndpoints {
  const file = createFileEndpoint({ root: opts.exportRoot });
  const gcs = createGcsEndpoint({ storage: opts.storage });
  const web = createHttpEndpoint({ guard: opts.guard });
  const schemeOf = (raw: string, field: string) => {
    if (raw === "") throw invalidField(field, "is required");
    if (raw.length > MAX_URL_CHARS) throw invalidField(field, `must be at most ${MAX_URL_CHARS} characters`);
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1].toLowerCase();
    if (scheme !== "gs" && scheme !== "file" && scheme !== "https" && scheme !== "http") throw invalidField(field, "must be a gs://, file:// or https:// URL");
    return scheme;
  };
  return {
    async destination(raw, field, o) {
      const scheme = schemeOf(raw, field);
      if (scheme === "gs") return gcs.destination(raw, field, o.archiveName);
      if (scheme === "file") return file.destination(raw, field, o.archiveName);
      return web.destination(raw, field, o.signingSecret);
    },
    async source(raw, field) {
      const scheme = schemeOf(raw, field);
      if (scheme === "gs") return gcs.source(raw, field);
      if (scheme === "file") return file.source(raw, field);
      return web.source(raw, field);
    },
  };
}
