import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.js";
import { composeServices, type Services } from "../../src/compose.js";
import { loadConfig, type Config } from "../../src/config.js";
import { withCors } from "../../src/http/cors.js";
import { listen, type Listener, type RequestHandler } from "../../src/http/listen.js";
import { createLogger, silentLogger, type Logger } from "../../src/lib/logger.js";

/** Set VELLUM_TEST_LOG=debug|info|warn|error to see server logs while debugging a test. */
export const testLogger: Logger = process.env.VELLUM_TEST_LOG ? createLogger(process.env.VELLUM_TEST_LOG as "debug") : silentLogger;

export interface TestServer {
  port: number;
  baseUrl: string;
  config: Config;
  services: Services;
  listener: Listener;
  /** Stops the server (drain + close pools); the database and data dir stay. */
  stop(): Promise<void>;
}

/** Makes a temp data dir removed by the returned function. */
export function tempDir(prefix = "vellum-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestServerOptions {
  /** Wrap the handler with withCors for these origins (browser tests); no CORS when unset. */
  corsOrigins?: string[] | "*";
  /** Wraps the finished handler (e.g. to observe the server-side sockets). */
  wrap?: (handler: RequestHandler) => RequestHandler;
}

/** Starts the real server (compose + HTTP listener on an ephemeral loopback port). */
export async function startTestServer(
  env: Record<string, string | undefined>,
  log: Logger = testLogger,
  opts: TestServerOptions = {},
): Promise<TestServer> {
  const config = loadConfig({ PORT: "0", VELLUM_JOB_CONCURRENCY: "1", ...env });
  const services = await composeServices(config, log);
  const { handler } = createApp({
    ...services,
    log,
  });
  const served = opts.corsOrigins ? withCors(handler, { allowedOrigins: opts.corsOrigins }) : handler;
  const listener = await listen(opts.wrap ? opts.wrap(served) : served, { port: 0, host: "127.0.0.1" });
  return {
    port: listener.port,
    baseUrl: `http://127.0.0.1:${listener.port}`,
    config,
    services,
    listener,
    async stop() {
      await listener.close(2000);
      await services.close(2000);
    },
  };
}
