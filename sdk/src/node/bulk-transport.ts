/**
 * A gRPC transport for Node tuned for bulk transfers (multi-gigabyte uploads and downloads).
 *
 * A Node HTTP/2 client starts with HTTP/2's default receive windows: 64 KiB per stream and
 * 64 KiB for the whole connection. A download then moves at most 64 KiB per round trip through
 * both event loops before the sender waits for a WINDOW_UPDATE; on loopback that capped a
 * download at about 100–150 MB/s however fast client and server were. This transport advertises
 * a 4 MiB stream window and widens the connection window to 16 MiB as soon as a connection is
 * used. Uploads depend on the server's windows, which the Vellum server already widens.
 */
import type http2 from "node:http2";
import { type GrpcTransportOptions, Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import type { Transport } from "@connectrpc/connect";

/** HTTP/2 stream receive window the bulk transport advertises (SETTINGS_INITIAL_WINDOW_SIZE). */
export const BULK_STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** HTTP/2 connection receive window the bulk transport sets on each connection. */
export const BULK_CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

/** An HTTP/2 session manager whose connections receive with the bulk windows. */
export class BulkHttp2SessionManager extends Http2SessionManager {
  private readonly widened = new WeakSet<http2.Http2Session>();

  constructor(url: URL | string, pingOptions?: ConstructorParameters<typeof Http2SessionManager>[1], nodeOptions?: http2.ClientSessionOptions) {
    super(url, pingOptions, {
      ...nodeOptions,
      settings: { initialWindowSize: BULK_STREAM_WINDOW_BYTES, ...nodeOptions?.settings },
    });
  }

  override async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(method, path, headers, options);
    const session = stream.session;
    // The connection window has no SETTINGS entry; it grows with a WINDOW_UPDATE, sent once per
    // connection before the first response bytes can arrive on it.
    if (session !== undefined && !this.widened.has(session)) {
      this.widened.add(session);
      session.setLocalWindowSize(BULK_CONNECTION_WINDOW_BYTES);
    }
    return stream;
  }
}

export type BulkTransportOptions = Omit<GrpcTransportOptions, "sessionManager">;

/**
 * `createGrpcTransport` with the bulk windows. Accepts the same options (interceptors, limits,
 * keep-alive pings, `nodeOptions`); an explicit `nodeOptions.settings.initialWindowSize` wins.
 */
export function createBulkGrpcTransport(options: BulkTransportOptions): Transport {
  // The options carry the keep-alive settings (pingIntervalMs and the like) the manager reads.
  const sessionManager = new BulkHttp2SessionManager(options.baseUrl, options, options.nodeOptions as http2.ClientSessionOptions | undefined);
  return createGrpcTransport({ ...options, sessionManager });
}
