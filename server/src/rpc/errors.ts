import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AnySchema, DurationSchema, anyPack } from "@bufbuild/protobuf/wkt";
import { StatusSchema, type Status } from "../../../gen/google/rpc/status_pb.js";
import { BadRequestSchema, BadRequest_FieldViolationSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { isDomainError, type DomainErrorName } from "../domain/errors.js";
import { isBlobError } from "../storage/blob/blob-store.js";
import { isDatabaseUnavailable } from "../storage/db/db-errors.js";
import { isClientGone } from "../http/client-gone.js";

const CODES: Record<DomainErrorName, Code> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  FailedPrecondition: Code.FailedPrecondition,
  Aborted: Code.Aborted,
  OutOfRange: Code.OutOfRange,
  PermissionDenied: Code.PermissionDenied,
  Unauthenticated: Code.Unauthenticated,
  ResourceExhausted: Code.ResourceExhausted,
  DataLoss: Code.DataLoss,
  Cancelled: Code.Canceled,
  Unavailable: Code.Unavailable,
};

/**
 * Bounds on what an error carries. gRPC sends the message and details in HTTP/2 trailers: a status
 * listing thousands of bad elements, or echoing a megabyte of input, would exceed the peer's header
 * limits and fail the whole connection.
 */
const MAX_MESSAGE_CHARS = 1024;
const MAX_VIOLATIONS = 20;
const MAX_DETAIL_CHARS = 256;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The one place where errors become gRPC statuses. Domain errors keep their message and get
 * structured details (BadRequest field violations, RetryInfo, ErrorInfo). Anything unknown becomes
 * INTERNAL with a generic message; the caller logs the cause, which is never echoed.
 */
export function toConnectError(err: unknown): { error: ConnectError; internal: boolean } {
  if (err instanceof ConnectError) return { error: err, internal: err.code === Code.Internal || err.code === Code.Unknown };
  if (isDomainError(err)) {
    const details = [];
    if (err.details.violations?.length) {
      details.push({
        desc: BadRequestSchema,
        value: create(BadRequestSchema, {
          fieldViolations: err.details.violations.slice(0, MAX_VIOLATIONS).map((v) =>
            create(BadRequest_FieldViolationSchema, { field: clip(v.field, MAX_DETAIL_CHARS), description: clip(v.description, MAX_DETAIL_CHARS) }),
          ),
        }),
      });
    }
    if (err.details.retryAfterMs !== undefined) {
      const ms = Math.max(0, Math.ceil(err.details.retryAfterMs));
      details.push({
        desc: RetryInfoSchema,
        value: create(RetryInfoSchema, {
          retryDelay: create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 }),
        }),
      });
    }
    if (err.details.reason) {
      details.push({ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: err.details.reason, domain: "vellum.v1" }) });
    }
    return { error: new ConnectError(clip(err.message, MAX_MESSAGE_CHARS), CODES[err.name], undefined, details), internal: false };
  }
  if (isDatabaseUnavailable(err)) {
    // Logged once per outage by the database availability probe, not per request.
    return { error: new ConnectError("database unavailable; retry later", Code.Unavailable), internal: false };
  }
  if (isBlobError(err, "BlobUnavailable")) {
    return { error: new ConnectError("storage backend unavailable; retry later", Code.Unavailable), internal: true };
  }
  if (isClientGone(err)) {
    return { error: new ConnectError("request cancelled by the client", Code.Canceled), internal: false };
  }
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return { error: new ConnectError("request cancelled", Code.Canceled), internal: false };
  }
  return { error: new ConnectError("internal error", Code.Internal), internal: true };
}

/**
 * The google.rpc.Status of an error, for responses that report one status per item (batches):
 * the same code, message and details `toConnectError` gives the error.
 */
export function toStatus(err: unknown): Status {
  const { error } = toConnectError(err);
  return create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map((d) =>
      "desc" in d ? anyPack(d.desc, create(d.desc, d.value)) : create(AnySchema, { typeUrl: `type.googleapis.com/${d.type}`, value: d.value }),
    ),
  });
}
