/**
 * A minimal HTTP/1.1 reverse proxy, run as its own process by tests: it forwards every request to
 * 127.0.0.1:PROXY_TARGET_PORT from the local address PROXY_LOCAL_ADDRESS, appending the address of
 * its own peer to X-Forwarded-For as real proxies do. Prints `{"port":N}` once listening.
 */
import http from "node:http";

const targetPort = Number(process.env.PROXY_TARGET_PORT);
const localAddress = process.env.PROXY_LOCAL_ADDRESS;

const server = http.createServer((req, res) => {
  const forwardedFor = [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter(Boolean).join(", ");
  const upstream = http.request(
    { host: "127.0.0.1", port: targetPort, localAddress, method: req.method, path: req.url, headers: { ...req.headers, "x-forwarded-for": forwardedFor } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 }));
});
process.on("SIGTERM", () => process.exit(0));
