import http2 from "node:http2";
import type net from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GetSnapshotResponseSchema, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";

/**
 * The patched connect-es and connect-node (patches/README.md): a call that ends without an error
 * aborts its handler's signal with one shared AbortError instead of building a DOMException (and
 * its stack trace) per call; a call the client cancels still aborts with CANCELED.
 */
interface Ctx {
  server: http2.Http2Server;
  baseUrl: string;
  signals: AbortSignal[];
}
const test = suite<Ctx>("handler signals: the reason of a call that ended (connect over HTTP/2)");

test.before(async (ctx) => {
  ctx.signals = [];
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(SnapshotService, {
        async getSnapshot(req, call: HandlerContext) {
          ctx.signals.push(call.signal);
          if (req.snapshotId === "wait") await new Promise((r) => call.signal.addEventListener("abort", r, { once: true }));
          return create(GetSnapshotResponseSchema, {});
        },
      }),
  });
  ctx.server = http2.createServer(handler);
  await new Promise<void>((r) => ctx.server.listen(0, "127.0.0.1", r));
  ctx.baseUrl = `http://127.0.0.1:${(ctx.server.address() as net.AddressInfo).port}`;
});
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
});

/** Waits (at most 5 s) until every captured signal has been aborted: the server aborts them just after answering. */
async function allAborted(signals: AbortSignal[]): Promise<void> {
  for (const until = Date.now() + 5000; Date.now() < until && !signals.every((s) => s.aborted); ) await new Promise((r) => setTimeout(r, 5));
}

test("calls that end without an error abort their signals with the same AbortError", async (ctx) => {
  ctx.signals.length = 0;
  const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: ctx.baseUrl }));
  await client.getSnapshot({ storeId: "s", snapshotId: "a" });
  await client.getSnapshot({ storeId: "s", snapshotId: "b" });
  await allAborted(ctx.signals);
  const [first, second] = ctx.signals;
  assert.ok(first.aborted && second.aborted, "each call's signal is aborted once it has ended");
  assert.instance(first.reason, DOMException);
  assert.is((first.reason as DOMException).name, "AbortError");
  assert.ok(first.reason === second.reason, "one shared reason, not one built per call");
});

test("a call the client cancels still aborts its signal with CANCELED", async (ctx) => {
  ctx.signals.length = 0;
  const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: ctx.baseUrl }));
  const cancel = new AbortController();
  const call = client.getSnapshot({ storeId: "s", snapshotId: "wait" }, { signal: cancel.signal });
  while (ctx.signals.length === 0) await new Promise((r) => setTimeout(r, 5));
  cancel.abort();
  const failure = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  assert.is(failure?.code, Code.Canceled);
  await allAborted(ctx.signals);
  const [signal] = ctx.signals;
  assert.ok(signal.aborted);
  assert.instance(signal.reason, ConnectError);
  assert.is((signal.reason as ConnectError).code, Code.Canceled);
});

test.run();
