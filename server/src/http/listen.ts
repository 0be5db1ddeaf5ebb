import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface Listener {
  port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes everything. */
  close(graceMs: number): Promise<void>;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * HTTP/2 stream receive window: how much of a request body a client may send ahead of what the
 * server has read. It is what an upload waiting for the buffer budget holds (it is not read
 * meanwhile), so it stays small; on loopback 1 MiB does not hold an upload back.
 */
const STREAM_WINDOW_BYTES = 1024 * 1024;

/**
 * Serves one port for HTTP/2 cleartext (gRPC, gRPC-Web, Connect) and HTTP/1.1 (Connect, gRPC-Web,
 * plain GET routes). Node's h2c server cannot fall back to HTTP/1.1 without TLS, so a `net` server
 * sniffs the HTTP/2 connection preface and hands each socket to the matching server.
 */
export async function listen(handler: RequestHandler, opts: { port: number; host: string }): Promise<Listener> {
  const h1 = http.createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, handler);
  const h2 = http2.createServer({ settings: { initialWindowSize: STREAM_WINDOW_BYTES, maxFrameSize: 1024 * 1024 } }, handler);
  h2.on("session", (session) => session.setLocalWindowSize?.(16 * 1024 * 1024));
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    sniff(socket, (isH2) => (isH2 ? h2 : h1).emit("connection", socket));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port, opts.host, () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;

  return {
    port,
    async close(graceMs) {
      const closed = new Promise<void>((r) => tcp.close(() => r()));
      for (const s of sessions) s.close(); // GOAWAY: finish open streams, accept no new ones
      h1.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (sockets.size && Date.now() < deadline) {
        h1.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * Reads until the bytes either match the whole HTTP/2 preface or diverge from it, then unshifts
 * them. Uses paused-mode reads: the http2 session picks up unshifted bytes from the socket's
 * readable buffer when it is set up (a flowing-mode 'data' listener would lose them).
 */
function sniff(socket: net.Socket, route: (isH2: boolean) => void): void {
  let buf = Buffer.alloc(0);
  const onReadable = () => {
    let piece: Buffer | null;
    while ((piece = socket.read()) !== null) buf = Buffer.concat([buf, piece]);
    const n = Math.min(buf.length, PREFACE.length);
    const matches = buf.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (matches && buf.length < PREFACE.length) return;
    socket.off("readable", onReadable);
    if (buf.length) socket.unshift(buf);
    route(matches);
  };
  socket.on("readable", onReadable);
}
