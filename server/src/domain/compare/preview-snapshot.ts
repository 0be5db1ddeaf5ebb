import { permissionDenied } from "../errors.js";
import { HEX_BYTES, renderPreview, textHeadBytes, type Preview, type PreviewKind } from "../preview/index.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import type { Snapshot } from "../snapshots/types.js";
import { Validator } from "../validate.js";
import { looksLikeTar, looksLikeText, readPrefix, requireActive, SNIFF_BYTES } from "./content.js";
import { scanTarMembers } from "./tar-scan.js";

export type PreviewType = "AUTO" | "JSON" | "TEXT" | "TAR" | "BINARY";

export interface PreviewRequest {
  storeId: string;
  snapshotId: string;
  type: PreviewType;
  /** 0 means the default, 64 KiB. */
  maxBytes: number;
  includeSensitive: boolean;
}

/** Who asks, as far as previews care. */
export interface PreviewCaller {
  /** Audit actor string, e.g. `api_key:1f2e…`. */
  actor: string;
  /** Holds snapshot:admin (needed for include_sensitive). */
  admin: boolean;
  requestId: string;
}

/** Port: records that a caller viewed a snapshot without redaction. Must be durable before it resolves. */
export type SensitiveReadAudit = (event: { storeId: string; snapshotId: string; actor: string; requestId: string }) => Promise<void>;

export interface SnapshotPreview extends Preview {
  /** False only when include_sensitive was granted. */
  redacted: boolean;
}

export interface PreviewUseCasesDeps {
  snapshots: SnapshotUseCases;
  audit: SensitiveReadAudit;
  /** JSON documents up to this size are parsed whole; larger ones are previewed as text (default 32 MiB). */
  maxJsonBytes?: number;
  /** Tar member listing reads at most this many bytes of the archive (default 1 GiB). */
  maxTarScanBytes?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024;
const MAX_MAX_BYTES = 16 * 1024 * 1024;

/** What AUTO reads a snapshot as: JSON and TAR by type, anything else by its first bytes. */
async function autoKind(snapshots: SnapshotUseCases, s: Snapshot, signal?: AbortSignal): Promise<PreviewKind> {
  if (s.snapshotType === "JSON") return "json";
  if (s.snapshotType === "TAR") return "tar";
  const head = await readPrefix(snapshots, s, SNIFF_BYTES, signal);
  if (looksLikeText(head, s.size <= SNIFF_BYTES)) return "text";
  return looksLikeTar(head) ? "tar" : "binary";
}

/**
 * PreviewSnapshot: reads only what the preview needs (whole JSON documents up to a cap, the head
 * of text, the tar headers as a stream, the first bytes of binary content) and renders it with
 * the preview engine, redacting by default. include_sensitive needs snapshot:admin and is
 * audited before any content is returned.
 */
export function createPreviewUseCases(deps: PreviewUseCasesDeps) {
  const { snapshots } = deps;
  const maxJsonBytes = deps.maxJsonBytes ?? 32 * 1024 * 1024;
  const maxTarScanBytes = deps.maxTarScanBytes ?? 1024 * 1024 * 1024;

  return {
    async preview(req: PreviewRequest, caller: PreviewCaller, signal?: AbortSignal): Promise<SnapshotPreview> {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      v.uuid("snapshot_id", req.snapshotId);
      if (!Number.isInteger(req.maxBytes) || req.maxBytes < 0 || req.maxBytes > MAX_MAX_BYTES) {
        v.add("max_bytes", `must be an integer from 0 to ${MAX_MAX_BYTES}`);
      }
      v.throwIfAny();
      if (req.includeSensitive && !caller.admin) throw permissionDenied("include_sensitive requires snapshot:admin");
      const s = await snapshots.get(req.storeId, req.snapshotId);
      requireActive(s);
      const maxBytes = req.maxBytes || DEFAULT_MAX_BYTES;
      const redact = !req.includeSensitive;
      if (!redact) await deps.audit({ storeId: s.storeId, snapshotId: s.id, actor: caller.actor, requestId: caller.requestId });

      const kind = req.type === "AUTO" ? await autoKind(snapshots, s, signal) : (req.type.toLowerCase() as PreviewKind);
      const opts = { maxBytes, redact };
      const textHead = async (): Promise<Preview> => {
        const limit = textHeadBytes(maxBytes);
        return renderPreview({ kind: "text", head: await readPrefix(snapshots, s, limit, signal), complete: s.size <= limit }, s.size, opts);
      };
      let p: Preview;
      switch (kind) {
        case "json":
          if (s.size <= maxJsonBytes) {
            p = renderPreview({ kind: "json", content: await readPrefix(snapshots, s, s.size, signal) }, s.size, opts);
          } else {
            p = await textHead();
            p.notes.push(`JSON document larger than ${maxJsonBytes} bytes; showing its first lines as text`);
          }
          break;
        case "text":
          p = await textHead();
          break;
        case "tar": {
          const opened = await snapshots.openRange(s.storeId, s.id, 0, s.size, s);
          const scan = await scanTarMembers(opened.stream(signal), { maxScanBytes: maxTarScanBytes, signal });
          p = renderPreview({ kind: "tar", members: scan.members, complete: scan.complete }, s.size, opts);
          if (!scan.complete) p.notes.push(`listed the members within the first ${maxTarScanBytes} bytes of the archive`);
          break;
        }
        case "binary": {
          const head = await readPrefix(snapshots, s, HEX_BYTES, signal);
          p = renderPreview({ kind: "binary", size: s.size, sha256: s.sha256, head }, s.size, opts);
          break;
        }
      }
      return { ...p, redacted: redact };
    },
  };
}

export type PreviewUseCases = ReturnType<typeof createPreviewUseCases>;
