import http2 from "node:http2";
import { grpc, loadVellumProtos } from "./grpc-js-client.js";

/**
 * Ends of an upload stream other than the client's orderly end, each produced by a client that is
 * not ours over HTTP/2:
 * - `cancel`: @grpc/grpc-js cancels the call (RST_STREAM CANCEL);
 * - `reset`: a raw HTTP/2 client resets the stream with INTERNAL_ERROR;
 * - `drop`: a raw HTTP/2 client destroys its connection (the server sees the socket close);
 * - `deadline`: @grpc/grpc-js with a deadline that passes while the stream is open;
 * - `idle`: @grpc/grpc-js stops sending, and the server's stream idle timeout ends the call.
 * Every message is sent whole first, so the stream is cut between two messages.
 */
export type CutEnd = "cancel" | "reset" | "drop" | "deadline" | "idle";

/** Time the server gets to read what was sent before a cancel, reset or drop. */
const SETTLE_MS = 400;

type GrpcClient = grpc.Client & Record<string, any>;

export interface CutUploader {
  /**
   * Sends the header and the chunks of one UploadSnapshot call (grpc-js field names: snake_case),
   * then ends it as `end` says. Resolves with the gRPC status code the grpc-js client saw, or
   * undefined for the raw ends.
   */
  cut(end: CutEnd, header: object, chunks: Buffer[], opts?: { deadlineMs?: number }): Promise<number | undefined>;
  close(): void;
}

export function createCutUploader(port: number): CutUploader {
  const pkgs = loadVellumProtos();
  const Service = pkgs.vellum.v1.SnapshotService as unknown as { service: Record<string, { requestSerialize(m: object): Buffer }> };
  const serialize = Service.service.UploadSnapshot.requestSerialize;
  const client = new pkgs.vellum.v1.SnapshotService(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as GrpcClient;

  function viaGrpcJs(end: "cancel" | "deadline" | "idle", header: object, chunks: Buffer[], deadlineMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const options = end === "deadline" ? { deadline: Date.now() + deadlineMs } : {};
      const call = client.UploadSnapshot(new grpc.Metadata(), options, (err: grpc.ServiceError | null) =>
        err ? resolve(err.code) : reject(new Error(`the ${end} upload succeeded`)),
      );
      call.write({ header });
      for (const c of chunks) call.write({ chunk: c });
      // deadline and idle: the stream stays open and silent until the deadline or idle timeout.
      if (end === "cancel") setTimeout(() => call.cancel(), SETTLE_MS);
    });
  }

  async function viaRawHttp2(end: "reset" | "drop", header: object, chunks: Buffer[]): Promise<undefined> {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => undefined);
    const stream = session.request({
      ":method": "POST",
      ":path": "/vellum.v1.SnapshotService/UploadSnapshot",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => undefined);
    const messages = [{ header }, ...chunks.map((chunk) => ({ chunk }))];
    for (const m of messages) {
      const body = serialize(m);
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      await new Promise<void>((resolve, reject) => stream.write(frame, (err) => (err ? reject(err) : resolve())));
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (end === "reset") {
      await new Promise<void>((r) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR, () => r()));
      session.close();
    } else {
      session.destroy();
    }
    return undefined;
  }

  return {
    cut(end, header, chunks, opts = {}) {
      if (end === "reset" || end === "drop") return viaRawHttp2(end, header, chunks);
      return viaGrpcJs(end, header, chunks, opts.deadlineMs ?? 1000);
    },
    close: () => client.close(),
  };
}
