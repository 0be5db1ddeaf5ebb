import type { ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { notFound } from "../domain/errors.js";

/**
 * Serving status per service name ("" is the whole server). `set` notifies Watch streams.
 * Shutdown flips everything to NOT_SERVING so load balancers drain the instance.
 */
export function createHealthRegistry(services: string[]) {
  const status = new Map<string, Status>([["", Status.SERVING], ...services.map((s) => [s, Status.SERVING] as const)]);
  const listeners = new Set<() => void>();
  return {
    get: (service: string) => status.get(service),
    all: () => new Map(status),
    set(service: string, s: Status) {
      status.set(service, s);
      for (const l of listeners) l();
    },
    setAll(s: Status) {
      for (const k of status.keys()) status.set(k, s);
      for (const l of listeners) l();
    },
    onChange(l: () => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type HealthRegistry = ReturnType<typeof createHealthRegistry>;

export function createHealthImpl(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    async check(req) {
      const s = registry.get(req.service);
      if (s === undefined) throw notFound("service", req.service);
      return { status: s };
    },
    async list() {
      return { statuses: Object.fromEntries([...registry.all()].map(([k, status]) => [k, { status }])) };
    },
    async *watch(req, ctx) {
      let last: Status | undefined;
      let wake: () => void = () => {};
      const off = registry.onChange(() => wake());
      try {
        while (!ctx.signal.aborted) {
          const s = registry.get(req.service) ?? Status.SERVICE_UNKNOWN;
          if (s !== last) {
            last = s;
            yield { status: s };
          }
          await new Promise<void>((r) => {
            wake = r;
            ctx.signal.addEventListener("abort", () => r(), { once: true });
          });
        }
      } finally {
        off();
      }
    },
  };
}
