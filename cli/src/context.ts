/**
 * What every command gets: the resolved settings, the output, and a Vellum client built on first
 * use from the server URL, the protocol and the API key.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createBulkGrpcTransport, createVellumClient, type VellumClient } from "@vellum/sdk/node";
import { CliError } from "./exit-codes.js";
import { createOutput, type Output, type Streams } from "./output.js";
import { configPath, DEFAULT_SERVER, readConfigFile, resolveSettings, type Settings, type Source } from "./settings.js";

/** Options every command accepts (program-level flags). */
export interface GlobalOptions {
  server?: string;
  store?: string;
  apiKey?: string;
  protocol: "grpc" | "connect" | "grpc-web";
  json?: boolean;
  debug?: boolean;
}

export interface CliContext {
  readonly out: Output;
  readonly streams: Streams & { stdin: NodeJS.ReadStream };
  readonly settings: Settings;
  readonly sources: Partial<Record<keyof Settings, Source>>;
  /** The server URL (the default, http://127.0.0.1:8080, when nothing sets one). */
  readonly server: string;
  readonly protocol: GlobalOptions["protocol"];
  /** The store every store-scoped call goes to; throws a usage error when none is set. */
  store(): string;
  /** The client, created on first use. */
  client(): VellumClient;
}

export function createContext(opts: GlobalOptions, streams: CliContext["streams"]): CliContext {
  const { settings, sources } = resolveSettings(
    { server: opts.server, store: opts.store, apiKey: opts.apiKey },
    streams.env,
    readConfigFile(configPath(streams.env)),
  );
  const server = settings.server ?? DEFAULT_SERVER;
  let client: VellumClient | undefined;
  return {
    out: createOutput(streams, opts.json === true),
    streams,
    settings,
    sources,
    server,
    protocol: opts.protocol,
    store() {
      if (!settings.store) throw new CliError("no store: pass --store, set VELLUM_STORE, or run `vellum login --store <id>`");
      return settings.store;
    },
    client() {
      client ??= connect(server, opts.protocol, settings.apiKey);
      return client;
    },
  };
}

/** A client for `server` over `protocol`, sending `apiKey` as a bearer token when given. */
export function connect(server: string, protocol: GlobalOptions["protocol"], apiKey: string | undefined): VellumClient {
  return createVellumClient(createTransport(server, protocol, apiKey));
}

function createTransport(server: string, protocol: GlobalOptions["protocol"], apiKey: string | undefined): Transport {
  let baseUrl: URL;
  try {
    baseUrl = new URL(server);
  } catch {
    throw new CliError(`server must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(server)}`);
  }
  if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") throw new CliError(`server URL must be http:// or https://, got ${baseUrl.protocol}`);
  const interceptors: Interceptor[] = apiKey
    ? [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${apiKey}`);
          return next(req);
        },
      ]
    : [];
  const options = { baseUrl: server, interceptors };
  if (protocol === "connect") return createConnectTransport({ ...options, httpVersion: "1.1" });
  if (protocol === "grpc-web") return createGrpcWebTransport({ ...options, httpVersion: "1.1" });
  return createBulkGrpcTransport(options);
}
