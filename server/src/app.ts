import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_grpc_health_v1_health, Health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflection as ReflectionV1alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_vellum_v1_job_service, JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { file_vellum_v1_snapshot_service, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { file_vellum_v1_version_service, VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import type { JobUseCases } from "./domain/jobs/service.js";
import type { SnapshotUseCases } from "./domain/snapshots/service.js";
import type { VersionUseCases } from "./domain/versions/service.js";
import type { Logger } from "./lib/logger.js";
import { createAuthInterceptor, type Authenticate } from "./rpc/auth-interceptor.js";
import { createHealthImpl, createHealthRegistry } from "./rpc/health.js";
import { createObservabilityInterceptor } from "./rpc/interceptors.js";
import { createJobServiceImpl } from "./rpc/job-service.js";
import { createReflection } from "./rpc/reflection.js";
import { createSnapshotServiceImpl } from "./rpc/snapshot-service.js";
import { createVersionServiceImpl } from "./rpc/version-service.js";

export interface AppDeps {
  snapshots: SnapshotUseCases;
  versions: VersionUseCases;
  jobs: JobUseCases;
  authenticate: Authenticate;
  log: Logger;
  limits: { maxMessageBytes: number; maxTimeoutMs: number };
}

/** Every service the server registers; reflection lists these and the scope test walks them. */
export const SERVICES = [SnapshotService, VersionService, JobService, Health, ReflectionV1, ReflectionV1alpha];

/** Registers all services on a router. Shared by the HTTP server and in-memory test transports. */
export function createRoutes(deps: AppDeps) {
  const health = createHealthRegistry(SERVICES.map((s) => s.typeName));
  const reflection = createReflection(
    [
      file_vellum_v1_snapshot_service,
      file_vellum_v1_version_service,
      file_vellum_v1_job_service,
      file_grpc_health_v1_health,
      file_grpc_reflection_v1_reflection,
      file_grpc_reflection_v1alpha_reflection,
    ],
    SERVICES.map((s) => s.typeName),
  );
  const routes = (router: ConnectRouter) => {
    router.service(SnapshotService, createSnapshotServiceImpl(deps));
    router.service(VersionService, createVersionServiceImpl(deps.versions));
    router.service(JobService, createJobServiceImpl(deps.jobs));
    router.service(Health, createHealthImpl(health));
    router.service(ReflectionV1, reflection.v1);
    router.service(ReflectionV1alpha, reflection.v1alpha);
  };
  const interceptors = [createObservabilityInterceptor(deps.log), createAuthInterceptor(deps.authenticate)];
  return { routes, health, interceptors };
}

/** Builds the Node request handler serving gRPC, gRPC-Web and Connect for every route. */
export function createApp(deps: AppDeps) {
  const { routes, health, interceptors } = createRoutes(deps);
  const handler = connectNodeAdapter({
    routes,
    interceptors,
    readMaxBytes: deps.limits.maxMessageBytes,
    writeMaxBytes: deps.limits.maxMessageBytes,
    maxTimeoutMs: deps.limits.maxTimeoutMs,
  });
  return { handler, health };
}
