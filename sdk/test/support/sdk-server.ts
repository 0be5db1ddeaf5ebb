import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createTestDatabase, type TestDatabase } from "../../../server/test/support/test-db.js";
import { startTestServer, tempDir, testLogger, type TestServer, type TestServerOptions } from "../../../server/test/support/test-server.js";

export interface SdkServer {
  server: TestServer;
  baseUrl: string;
  /** Stops the server, drops the database and removes the data dir. */
  close(): Promise<void>;
}

/** The real Vellum server on an ephemeral loopback port, with a fresh Postgres database. */
export async function startSdkServer(opts: TestServerOptions = {}): Promise<SdkServer> {
  const db: TestDatabase = await createTestDatabase();
  const dir = tempDir("vellum-sdk-");
  const server = await startTestServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path }, testLogger, opts);
  return {
    server,
    baseUrl: server.baseUrl,
    async close() {
      await server.stop();
      await db.drop();
      dir.remove();
    },
  };
}

export interface NamedTransport {
  name: string;
  make(baseUrl: string, interceptors?: Interceptor[]): Transport;
}

/** The two Node transports every SDK suite runs against. */
export const NODE_TRANSPORTS: NamedTransport[] = [
  { name: "gRPC over HTTP/2", make: (baseUrl, interceptors = []) => createGrpcTransport({ baseUrl, interceptors }) },
  {
    name: "Connect over HTTP/1.1",
    make: (baseUrl, interceptors = []) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }),
  },
];

/** Collects an async iterable of byte chunks into one Buffer. */
export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}
