/**
 * Typed SDK errors. Every error a Vellum call or SDK helper raises because of the server, the
 * transport or a failed integrity check is a `VellumError` (or a subclass); `name` discriminates.
 * Errors from the caller's own data source (for example a file that cannot be read during an
 * upload) are re-thrown unchanged.
 */
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Status } from "../../gen/google/rpc/status_pb.js";

export { Code };

/** One invalid request field, from a google.rpc.BadRequest error detail. */
export interface FieldViolation {
  /** Request field path as the server names it, e.g. "store_id" or "header.tags[1]". */
  field: string;
  description: string;
}

export type VellumErrorName = "VellumError" | "IntegrityError" | "UnsupportedTransportError" | "ResourceVersionExistsError" | "BatchCreateError";

/** What a VellumError carries besides its code and message. */
export interface VellumErrorInit {
  fieldViolations?: readonly FieldViolation[];
  requestId?: string;
  retryDelayMs?: number;
  reason?: string;
  metadata?: Headers;
  cause?: unknown;
}

export class VellumError extends Error {
  override readonly name: VellumErrorName = "VellumError";
  /** gRPC status code (Code.NotFound, Code.InvalidArgument, ...). */
  readonly code: Code;
  /** The server's message without the "[code]" prefix. */
  readonly rawMessage: string;
  /** Decoded BadRequest field violations; empty when the error carries none. */
  readonly fieldViolations: readonly FieldViolation[];
  /** The server's request id (x-request-id response header or trailer), for support and logs. */
  readonly requestId?: string;
  /**
   * How long the server asked the client to wait before retrying: the google.rpc.RetryInfo detail,
   * else the `retry-after` header (seconds). Undefined when the server gave neither.
   */
  readonly retryDelayMs?: number;
  /** Machine-readable reason from a google.rpc.ErrorInfo detail, e.g. "ETAG_MISMATCH". */
  readonly reason?: string;
  /** Response headers and trailers that came with the error. */
  readonly metadata: Headers;

  constructor(code: Code, rawMessage: string, init: VellumErrorInit = {}) {
    const prefix = `[${codeName(code)}] ${rawMessage}`;
    super(init.requestId ? `${prefix} (request id ${init.requestId})` : prefix, { cause: init.cause });
    this.code = code;
    this.rawMessage = rawMessage;
    this.fieldViolations = init.fieldViolations ?? [];
    this.requestId = init.requestId;
    this.retryDelayMs = init.retryDelayMs;
    this.reason = init.reason;
    this.metadata = init.metadata ?? new Headers();
  }
}

/**
 * Downloaded content did not match what the server announced (SHA-256 or byte count). Code is
 * DATA_LOSS. Helpers that write files remove the partial file before throwing it.
 */
export class IntegrityError extends VellumError {
  override readonly name = "IntegrityError";
  constructor(
    /** "frame": a chunk sent as a zstd frame (accept_frames) that is not one whole frame of its size, or a frames message whose fields disagree. */
    readonly check: "sha256" | "size" | "frame",
    readonly expected: string,
    readonly actual: string,
  ) {
    super(Code.DataLoss, `downloaded content failed the ${check} check: expected ${expected}, got ${actual}`);
  }
}

/**
 * The transport cannot carry the call, typically a client-streaming UploadSnapshot over a browser
 * (fetch-based) transport. Code is UNIMPLEMENTED. Thrown before any source data is read.
 */
export class UnsupportedTransportError extends VellumError {
  override readonly name = "UnsupportedTransportError";
  constructor(message: string, cause?: unknown) {
    super(Code.Unimplemented, message, { cause });
  }
}

/**
 * ALREADY_EXISTS because the resource already has a snapshot with the `resourceVersion` given
 * (reason RESOURCE_VERSION_EXISTS): CreateSnapshot, UploadSnapshot, CommitSnapshot, batch items.
 */
export class ResourceVersionExistsError extends VellumError {
  override readonly name = "ResourceVersionExistsError";
  constructor(rawMessage: string, init: VellumErrorInit = {}) {
    super(Code.AlreadyExists, rawMessage, { ...init, reason: "RESOURCE_VERSION_EXISTS" });
  }
}

/** The error of a server answer with `code`, picking the subclass the code and reason call for. */
function errorOf(code: Code, rawMessage: string, init: VellumErrorInit): VellumError {
  if (code === Code.AlreadyExists && init.reason === "RESOURCE_VERSION_EXISTS") return new ResourceVersionExistsError(rawMessage, init);
  return new VellumError(code, rawMessage, init);
}

/**
 * A VellumError from a google.rpc.Status carried inside a response (a batch item's status), with
 * its BadRequest violations and ErrorInfo reason decoded; `fieldPrefix` is removed from violation
 * field paths. Undefined for OK.
 */
export function statusError(status: Status | undefined, fieldPrefix = ""): VellumError | undefined {
  if (!status || status.code === 0) return undefined;
  const fieldViolations: FieldViolation[] = [];
  let reason: string | undefined;
  for (const detail of status.details) {
    const bad = anyUnpack(detail, BadRequestSchema);
    if (bad) for (const v of bad.fieldViolations) fieldViolations.push({ field: v.field.startsWith(fieldPrefix) ? v.field.slice(fieldPrefix.length) : v.field, description: v.description });
    reason ??= anyUnpack(detail, ErrorInfoSchema)?.reason || undefined;
  }
  return errorOf(status.code as Code, status.message, { fieldViolations, reason });
}

/** Canonical gRPC name of a code: Code.NotFound -> "NOT_FOUND". */
export function codeName(code: Code): string {
  if (code === Code.Canceled) return "CANCELLED";
  const name = Code[code];
  return name ? name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() : String(code);
}

/** True for VellumError and its subclasses, optionally only for one status code. */
export function isVellumError(e: unknown, code?: Code): e is VellumError {
  return e instanceof VellumError && (code === undefined || e.code === code);
}

/**
 * Converts anything a connect call threw into a VellumError (returned as is when it already is
 * one). ConnectError details and metadata are decoded; other values become Code.Unknown (or
 * Code.Canceled for AbortError/TimeoutError, as ConnectError.from does). A call whose connection
 * was lost under it (connect-node reports a reset as ABORTED) is UNAVAILABLE, as gRPC defines it:
 * transient, worth retrying.
 */
export function toVellumError(e: unknown): VellumError {
  if (e instanceof VellumError) return e;
  const ce = ConnectError.from(e);
  if (connectionLost(ce)) return new VellumError(Code.Unavailable, `connection lost: ${ce.rawMessage}`, { cause: e });
  // Headers and trailers are merged into metadata; when both carry the id, get() joins them with ", ".
  const requestId = ce.metadata.get("x-request-id")?.split(",")[0].trim() || undefined;
  const fieldViolations = ce
    .findDetails(BadRequestSchema)
    .flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  const reason = ce.findDetails(ErrorInfoSchema)[0]?.reason || undefined;
  return errorOf(ce.code, ce.rawMessage, {
    fieldViolations,
    requestId,
    retryDelayMs: retryDelayOf(ce),
    reason,
    metadata: ce.metadata,
    cause: e,
  });
}

/**
 * Node's codes for a connection that broke or closed under a call. ERR_STREAM_PREMATURE_CLOSE is
 * what reading a response stream raises when its connection is destroyed before the stream ended.
 */
const CONNECTION_LOST = new Set([
  "ECONNRESET",
  "EPIPE",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** A client-side ABORTED, INTERNAL or UNKNOWN caused by a lost connection, not by the server's answer. */
function connectionLost(ce: ConnectError): boolean {
  if (ce.code !== Code.Aborted && ce.code !== Code.Internal && ce.code !== Code.Unknown) return false;
  for (let c: unknown = ce.cause, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (CONNECTION_LOST.has((c as { code?: unknown }).code as string)) return true;
  }
  return false;
}

function retryDelayOf(ce: ConnectError): number | undefined {
  const delay = ce.findDetails(RetryInfoSchema)[0]?.retryDelay;
  if (delay) return Math.max(0, Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6));
  const header = ce.metadata.get("retry-after");
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  return undefined;
}
