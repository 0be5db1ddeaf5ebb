import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Slots of the database pool, read at scrape time (storage/db/pool-gate.ts provides one). */
export interface PoolGauges {
  readonly size: number;
  inUse(): number;
  waiting(): number;
}

/**
 * The meter of one RPC method, made once per method when the router is built. Byte counts are plain
 * fields the HTTP adapter adds each body chunk's length to; the registry reads them when scraped.
 */
export interface MethodMeter {
  /** Request body bytes as received (framed, compressed if the client compressed). */
  receivedBytes: number;
  /** Response body bytes handed to the connection (framed). */
  sentBytes: number;
  /** Records one finished call: its status (undefined is OK) and its duration in seconds. */
  finished(code: Code | undefined, seconds: number): void;
}

/** Byte count of an HTTP route outside the RPC router. */
export interface RouteMeter {
  sentBytes: number;
}

export interface Metrics {
  /** The app's own registry (never prom-client's global one): several apps in one process do not collide. */
  readonly registry: Registry;
  /** The meter of `service`/`method`, created on first use and cached. */
  method(service: string, method: string): MethodMeter;
  /** Bytes of share-link downloads (`/v1/share/<token>/download`). */
  readonly shareDownload: RouteMeter;
}

/** Call durations, in seconds: unary metadata calls sit in the low buckets, transfers in the high ones. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Label value of each status: "ok", or the code as Connect spells it ("not_found"). */
const CODE_LABELS: readonly string[] = Array.from({ length: Code.Unauthenticated + 1 }, (_, c) => (c === 0 ? "ok" : codeToString(c as Code)));

let processMetrics: Registry | undefined;

/**
 * prom-client's default Node process metrics, collected once per process (they describe the process,
 * and each collection starts an event-loop monitor and a GC observer that never stop) and shared by
 * every app's registry.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * Creates the metrics of one app on a registry of its own: RPC calls and durations by service,
 * method and status code; RPC and share-download body bytes; database pool slots (when `pool` is
 * given); and prom-client's default Node process metrics. Labels are only service, method and
 * code, all from the registered routes: never store ids, keys, paths or client addresses.
 */
export function createMetrics(deps: { pool?: PoolGauges } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const meters = new Map<string, MethodMeterImpl>();
  const shareDownload: RouteMeter = { sentBytes: 0 };
  const labelNames = ["service", "method", "code"] as const;
  const latency = new Histogram({
    name: "vellum_rpc_handling_seconds",
    help: "Duration of RPCs from the request headers to the last response byte, by service, method and status code.",
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  new Counter({
    name: "vellum_rpc_handled_total",
    help: "RPCs completed, by service, method and status code (ok, or the gRPC code as Connect spells it).",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const m of meters.values()) {
        m.calls.forEach((n, code) => n && this.inc({ service: m.service, method: m.method, code: CODE_LABELS[code] }, n));
      }
    },
  });
  const bytes = (name: string, help: string, read: (m: MethodMeterImpl) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["service", "method"],
      registers,
      collect() {
        this.reset();
        for (const m of meters.values()) {
          const n = read(m);
          if (n) this.inc({ service: m.service, method: m.method }, n);
        }
      },
    });
  bytes("vellum_rpc_received_bytes_total", "Request body bytes of RPCs as received (framed; compressed when the client compressed).", (m) => m.receivedBytes);
  bytes("vellum_rpc_sent_bytes_total", "Response body bytes of RPCs written to the connection (framed).", (m) => m.sentBytes);
  new Counter({
    name: "vellum_share_download_sent_bytes_total",
    help: "Response body bytes of share-link downloads written to the connection.",
    registers,
    collect() {
      this.reset();
      this.inc(shareDownload.sentBytes);
    },
  });
  const pool = deps.pool;
  if (pool) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge("vellum_db_pool_size", "Connections in the database pool.", () => pool.size);
    gauge("vellum_db_pool_in_use", "Database operations holding a pool connection.", () => pool.inUse());
    gauge("vellum_db_pool_waiting", "Database operations waiting for a pool connection.", () => pool.waiting());
  }
  return {
    registry: Registry.merge([registry, processRegistry()]),
    shareDownload,
    method(service, method) {
      const key = `${service}/${method}`;
      let m = meters.get(key);
      if (!m) meters.set(key, (m = new MethodMeterImpl(service, method, latency)));
      return m;
    },
  };
}

class MethodMeterImpl implements MethodMeter {
  receivedBytes = 0;
  sentBytes = 0;
  /** Completed calls by status code (index 0 is OK). */
  readonly calls = new Float64Array(CODE_LABELS.length);
  /** Latency histogram children bound to this method, one per code, made on first use. */
  private readonly observers: ((seconds: number) => void)[] = [];

  constructor(
    readonly service: string,
    readonly method: string,
    private readonly latency: Histogram<"service" | "method" | "code">,
  ) {}

  finished(code: Code | undefined, seconds: number): void {
    const c = code ?? 0;
    this.calls[c]++;
    (this.observers[c] ??= this.latency.labels(this.service, this.method, CODE_LABELS[c]!).observe)(seconds);
  }
}
