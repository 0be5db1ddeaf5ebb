import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { RestoreTargetService } from "../../../gen/vellum/v1/restore_target_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";

/**
 * An owning service as its own process: serves RestoreTargetService.CaptureCurrent (connect-node,
 * HTTP/1.1) over an in-memory state per resource id, and prints "target ready port:<port>".
 * - `PUT /_state/<id>` sets a resource's state (the body); `GET /_calls` returns the calls so far.
 * - Ids starting with "url:" are answered with a content_url on this server (with sha256); ids
 *   starting with "badsha:" with inline data and a sha256 that does not match it.
 * - "missing" is not found; "refuse" answers FAILED_PRECONDITION; "flaky" answers UNAVAILABLE on
 *   its first call; "stall" never answers.
 * Env: PORT (0 = any).
 */
const states = new Map<string, Buffer>();
const calls: string[] = [];
let flakyCalls = 0;
let port = 0;

const readBody = async (req: IncomingMessage) => {
  const parts: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
};

const routes = (router: ConnectRouter) =>
  router.service(RestoreTargetService, {
    async planRestore() {
      throw new ConnectError("not served here", Code.Unimplemented);
    },
    async applyRestore() {
      throw new ConnectError("not served here", Code.Unimplemented);
    },
    async captureCurrent(req) {
      const id = req.targetResourceId;
      calls.push(id);
      if (id === "refuse") throw new ConnectError("resource is being migrated", Code.FailedPrecondition);
      if (id === "flaky" && flakyCalls++ === 0) throw new ConnectError("warming up", Code.Unavailable);
      if (id === "stall") await new Promise(() => undefined);
      const state = states.get(id);
      if (!state) return { notFound: true };
      if (id.startsWith("badsha:")) return { content: { case: "data", value: state }, sha256: "0".repeat(64) };
      if (id.startsWith("url:")) {
        return {
          content: { case: "contentUrl", value: `http://127.0.0.1:${port}/_content/${encodeURIComponent(id)}` },
          snapshotType: SnapshotType.BLOB,
          sha256: createHash("sha256").update(state).digest("hex"),
        };
      }
      return { content: { case: "data", value: state } };
    },
  });

const rpc = connectNodeAdapter({ routes });
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "PUT" && url.pathname.startsWith("/_state/")) {
    states.set(decodeURIComponent(url.pathname.slice(8)), await readBody(req));
    res.writeHead(204).end();
  } else if (req.method === "GET" && url.pathname === "/_calls") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(calls));
  } else if (req.method === "GET" && url.pathname.startsWith("/_content/")) {
    const state = states.get(decodeURIComponent(url.pathname.slice(10)));
    if (!state) res.writeHead(404).end();
    else res.writeHead(200, { "content-length": state.length }).end(state);
  } else rpc(req, res);
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  port = (server.address() as { port: number }).port;
  console.log(`target ready port:${port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
