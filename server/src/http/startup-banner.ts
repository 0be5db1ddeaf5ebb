/** The lines `npm start` prints on stdout once it listens (logs stay JSON on stderr). */

/** The URL a client on this machine uses for a server bound to `host`:`port`. */
export function serverUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * "Listening on <url>", and, in the zero-configuration dev mode (VELLUM_AUTH=none, where calls need
 * no credentials), commands that reach the server with tools the repository ships (buf curl, the
 * vellum CLI), plain curl, and grpcurl for those who have it.
 */
export function startupBanner(url: string, opts: { devMode: boolean }): string {
  const lines = [`Vellum is listening on ${url} (gRPC, gRPC-Web and Connect)`];
  if (opts.devMode) {
    lines.push(
      "Dev mode (VELLUM_AUTH=none): calls need no credentials. Try:",
      `  npx buf curl --protocol grpc --http2-prior-knowledge -d '{"store_id":"demo"}' ${url}/vellum.v1.SnapshotService/ListSnapshots`,
      `  npx vellum ls --server ${url} --store demo`,
      `  curl -s -H 'content-type: application/json' -d '{"storeId":"demo"}' ${url}/vellum.v1.SnapshotService/ListSnapshots`,
      `  grpcurl -plaintext -d '{"store_id":"demo"}' ${url.slice("http://".length)} vellum.v1.SnapshotService/ListSnapshots`,
    );
  }
  return lines.join("\n");
}
