import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));

/** Loads proto/ at run time with @grpc/proto-loader: a client that shares no code with the server. */
export function loadVellumProtos() {
  const def = protoLoader.loadSync(
    [
      "vellum/v1/snapshot_service.proto",
      "vellum/v1/version_service.proto",
      "vellum/v1/job_service.proto",
      "vellum/v1/upload_service.proto",
      "grpc/health/v1/health.proto",
      "grpc/reflection/v1/reflection.proto",
      "grpc/reflection/v1alpha/reflection.proto",
      "google/rpc/error_details.proto",
    ],
    { includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  return grpc.loadPackageDefinition(def) as unknown as GrpcPackages;
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client &
  Record<string, (...args: unknown[]) => unknown>;

interface GrpcPackages {
  vellum: { v1: { SnapshotService: Ctor; VersionService: Ctor; JobService: Ctor; UploadService: Ctor } };
  grpc: {
    health: { v1: { Health: Ctor } };
    reflection: { v1: { ServerReflection: Ctor }; v1alpha: { ServerReflection: Ctor } };
  };
  google: { rpc: { BadRequest: { deserialize(b: Buffer): { field_violations: { field: string }[] } } } };
}

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
  "grpc.max_send_message_length": 64 * 1024 * 1024,
};

/** Promisified unary call. */
export function unary<T>(client: grpc.Client & Record<string, unknown>, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => {
    (client[method] as (r: object, cb: (e: grpc.ServiceError | null, res: T) => void) => void).call(client, req, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** Runs a call expected to fail and returns its ServiceError. */
export async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error("expected the call to fail");
}

export { grpc };
