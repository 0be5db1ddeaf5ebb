import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { generateApiKey } from "../../src/domain/auth/api-key.js";
import { createTestDatabase, type TestDatabase } from "./test-db.js";
import { startTestServer, tempDir, type TestServer, type TestServerOptions } from "./test-server.js";

/** A share secret for tests (any 32+ bytes). */
export const TEST_SHARE_SECRET = "test-share-secret-0123456789abcdefghijklmnop";

/** Credentials a test client sends. */
export type Credential = { apiKey: string } | { bearer: string } | { headers: Record<string, string> } | undefined;

const credentialInterceptor =
  (credential: Credential): Interceptor =>
  (next) =>
  (req) => {
    if (credential && "apiKey" in credential) req.header.set("x-api-key", credential.apiKey);
    if (credential && "bearer" in credential) req.header.set("authorization", `Bearer ${credential.bearer}`);
    if (credential && "headers" in credential) for (const [k, v] of Object.entries(credential.headers)) req.header.set(k, v);
    return next(req);
  };

export interface SecureServer {
  server: TestServer;
  /** The VELLUM_ADMIN_KEY the server was started with (every scope, every store). */
  adminKey: string;
  /** gRPC over HTTP/2 (the default) or Connect over HTTP/1.1. */
  transport(credential: Credential, protocol?: "grpc" | "connect-h1"): Transport;
  client<S extends DescService>(service: S, credential: Credential, protocol?: "grpc" | "connect-h1"): Client<S>;
  close(): Promise<void>;
}

/**
 * The real server (HTTP listener, fresh Postgres database) with VELLUM_AUTH=required, a bootstrap
 * admin key and a share secret. `env` adds or overrides variables.
 */
export async function startSecureServer(env: Record<string, string> = {}, opts: TestServerOptions = {}): Promise<SecureServer> {
  const db: TestDatabase = await createTestDatabase();
  const dir = tempDir();
  const adminKey = generateApiKey().key;
  const server = await startTestServer(
    {
      DATABASE_URL: db.url,
      VELLUM_DATA_DIR: dir.path,
      VELLUM_AUTH: "required",
      VELLUM_ADMIN_KEY: adminKey,
      VELLUM_SHARE_SECRET: TEST_SHARE_SECRET,
      ...env,
    },
    undefined,
    opts,
  );
  const transport = (credential: Credential, protocol: "grpc" | "connect-h1" = "grpc") =>
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [credentialInterceptor(credential)] })
      : createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors: [credentialInterceptor(credential)] });
  return {
    server,
    adminKey,
    transport,
    client: (service, credential, protocol) => createClient(service, transport(credential, protocol)),
    async close() {
      await server.stop();
      await db.drop();
      dir.remove();
    },
  };
}

/** The ConnectError a call fails with; throws when it succeeds. */
export async function failureOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<ConnectError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

/** The status code of a call: Code.Ok (0) on success. */
export async function codeOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<Code | 0> {
  try {
    await (typeof p === "function" ? p() : p);
    return 0;
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

/** Drains a server stream. */
export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
