/**
 * The scope every RPC requires, in one table keyed by "<package.Service>/<Method>". A test walks
 * every RPC of every service the server registers and fails when one is missing here.
 * "public" RPCs (health, reflection) need no credentials.
 */
export type Scope = "snapshot:read" | "snapshot:write" | "snapshot:admin" | "snapshot:export";
export type Requirement = Scope | "public";

export const RPC_SCOPES: Readonly<Record<string, Requirement>> = {
  "vellum.v1.SnapshotService/CreateSnapshot": "snapshot:write",
  "vellum.v1.SnapshotService/UploadSnapshot": "snapshot:write",
  "vellum.v1.SnapshotService/DownloadSnapshot": "snapshot:read",
  "vellum.v1.SnapshotService/GetSnapshot": "snapshot:read",
  "vellum.v1.SnapshotService/ListSnapshots": "snapshot:read",
  "vellum.v1.SnapshotService/DeleteSnapshot": "snapshot:admin",
  "vellum.v1.SnapshotService/VerifySnapshot": "snapshot:read",
  "vellum.v1.VersionService/ListVersions": "snapshot:read",
  "vellum.v1.VersionService/GetVersion": "snapshot:read",
  "vellum.v1.VersionService/CreateVersion": "snapshot:write",
  "vellum.v1.VersionService/GetLatestVersion": "snapshot:read",
  "vellum.v1.JobService/GetJob": "snapshot:read",
  "vellum.v1.JobService/ListJobs": "snapshot:read",
  "vellum.v1.JobService/CancelJob": "snapshot:write",
  "vellum.v1.JobService/WatchJob": "snapshot:read",
  "grpc.health.v1.Health/Check": "public",
  "grpc.health.v1.Health/Watch": "public",
  "grpc.health.v1.Health/List": "public",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "public",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "public",
};

/** Scopes implied by holding a scope: admin implies read and write; export stands alone. */
export const IMPLIED: Readonly<Record<Scope, readonly Scope[]>> = {
  "snapshot:read": ["snapshot:read"],
  "snapshot:write": ["snapshot:write"],
  "snapshot:admin": ["snapshot:admin", "snapshot:read", "snapshot:write"],
  "snapshot:export": ["snapshot:export"],
};

export function requirementOf(service: string, method: string): Requirement | undefined {
  return RPC_SCOPES[`${service}/${method}`];
}
