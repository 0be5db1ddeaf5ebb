/**
 * Typed domain errors. Each carries a `name` discriminator; `toConnectError` (rpc/errors.ts) maps
 * them to gRPC codes in one place. Messages are safe to show to clients: never put secrets,
 * credentials or internal paths in them.
 */
export interface FieldViolation {
  /** Request field path, e.g. "store_id" or "labels_match.color". */
  field: string;
  description: string;
}

export type DomainErrorName =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Aborted"
  | "OutOfRange"
  | "PermissionDenied"
  | "Unauthenticated"
  | "ResourceExhausted"
  | "DataLoss"
  | "Cancelled"
  | "Unavailable";

export class DomainError extends Error {
  constructor(
    override readonly name: DomainErrorName,
    message: string,
    readonly details: {
      violations?: FieldViolation[];
      /** For ResourceExhausted: how long the client should wait before retrying. */
      retryAfterMs?: number;
      /** Machine-readable reason, e.g. "ETAG_MISMATCH". */
      reason?: string;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Canonical gRPC status name of an error kind, e.g. "NotFound" -> "NOT_FOUND" (for job errors). */
export const statusName = (name: DomainErrorName): string => name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

export const isDomainError = (e: unknown, name?: DomainErrorName): e is DomainError =>
  e instanceof DomainError && (name === undefined || e.name === name);

/** INVALID_ARGUMENT listing `violations`; `omitted` more were found and not listed. */
export const invalidArgument = (violations: FieldViolation[], omitted = 0) =>
  new DomainError(
    "InvalidArgument",
    violations.map((v) => `${v.field} ${v.description}`).join(", ") + (omitted ? `, and ${omitted} more` : ""),
    { violations },
  );
export const invalidField = (field: string, description: string) => invalidArgument([{ field, description }]);
export const notFound = (what: string, id: string) => new DomainError("NotFound", `${what} ${id} not found`);
export const alreadyExists = (message: string, reason?: string) =>
  new DomainError("AlreadyExists", message, { reason });
/** ALREADY_EXISTS for a second snapshot of one resource_version of a resource. */
export const resourceVersionExists = (resourceType: string, resourceId: string, resourceVersion: string) =>
  alreadyExists(
    `resource ${resourceType}/${resourceId} already has a snapshot with resource_version ${JSON.stringify(resourceVersion)}`,
    "RESOURCE_VERSION_EXISTS",
  );
export const failedPrecondition = (message: string, reason?: string) =>
  new DomainError("FailedPrecondition", message, { reason });
export const aborted = (message: string, reason?: string) => new DomainError("Aborted", message, { reason });
export const outOfRange = (message: string) => new DomainError("OutOfRange", message);
export const permissionDenied = (message: string) => new DomainError("PermissionDenied", message);
export const unauthenticated = (message: string) => new DomainError("Unauthenticated", message);
export const resourceExhausted = (message: string, retryAfterMs?: number, reason?: string) =>
  new DomainError("ResourceExhausted", message, { retryAfterMs, reason });
export const dataLoss = (message: string, cause?: unknown) => new DomainError("DataLoss", message, {}, { cause });
export const cancelled = (message: string) => new DomainError("Cancelled", message);
export const unavailable = (message: string, cause?: unknown) =>
  new DomainError("Unavailable", message, {}, { cause });
