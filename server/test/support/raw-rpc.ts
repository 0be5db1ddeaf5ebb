import http from "node:http";
import http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";

/** The wire protocols the server speaks; `codec` picks binary or JSON messages. */
export type Protocol = "grpc" | "grpc-web" | "connect";
export type Codec = "proto" | "json";

/** Where a raw call goes: an HTTP/2 session (every protocol), or HTTP/1.1 to a port (not bidi). */
export type RawTarget = { h2: http2.ClientHttp2Session } | { h1: { port: number; agent: http.Agent } };

export interface RawResult {
  /** The status the protocol reported (0 = OK), or undefined when the response carried none. */
  code: Code | typeof OK | undefined;
  message: string;
  httpStatus: number;
  /** Data messages of the response (enveloped protocols), or the unary Connect body on success. */
  payloads: Uint8Array[];
}

/** A gRPC / gRPC-Web / Connect streaming envelope: flags, 4-byte big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

const TIMEOUT_MS = 30_000;
export const OK = 0;

/**
 * Sends `messages` (already encoded, valid or not) to `method` exactly as a client of `protocol`
 * frames them, and reads the status the server answers with. Unary and server-streaming methods
 * get one message (Connect unary sends it as the bare body); streaming methods get them all. A
 * server-streaming or bidi call that answers with a message counts as OK and is cancelled there.
 */
export async function callRaw(target: RawTarget, protocol: Protocol, method: DescMethod, messages: Uint8Array[], codec: Codec = "proto"): Promise<RawResult> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const unaryConnect = protocol === "connect" && method.methodKind === "unary";
  const headers: Record<string, string> = {};
  if (protocol === "grpc") Object.assign(headers, { "content-type": `application/grpc+${codec}`, te: "trailers", "grpc-timeout": "30S" });
  if (protocol === "grpc-web") Object.assign(headers, { "content-type": `application/grpc-web+${codec}`, "x-grpc-web": "1", "grpc-timeout": "30S" });
  if (protocol === "connect") {
    Object.assign(headers, { "connect-protocol-version": "1", "connect-timeout-ms": "30000" });
    headers["content-type"] = unaryConnect ? `application/${codec}` : `application/connect+${codec}`;
  }
  const body = unaryConnect ? (messages[0] ?? new Uint8Array(0)) : concat(messages.map((m) => envelope(m)));
  const streaming = !unaryConnect && (method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming");
  const res = "h2" in target ? await exchangeH2(target.h2, path, headers, body, streaming) : await exchangeH1(target.h1, path, headers, body, streaming);
  return statusOf(protocol, unaryConnect, res);
}

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
  error?: string;
  /** A streaming response sent a message; the client cancelled the call then. */
  streamed?: boolean;
}

function exchangeH2(session: http2.ClientHttp2Session, path: string, headers: Record<string, string>, body: Uint8Array, streaming: boolean): Promise<Exchange> {
  return new Promise((resolve) => {
    const out: Exchange = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), TIMEOUT_MS);
    stream.on("response", (h) => {
      out.status = Number(h[":status"]);
      out.headers = h;
    });
    stream.on("trailers", (t) => (out.trailers = t));
    // The response is complete: stop sending the rest of a request the server did not read.
    stream.on("end", () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      // A server stream that sends a message decoded its request: stop it rather than wait for its end.
      if (streaming && chunks[0]![0] === 0) {
        out.streamed = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on("error", (e) => (out.error = e.message));
    stream.on("close", () => {
      clearTimeout(timer);
      out.body = Buffer.concat(chunks);
      if (stream.rstCode && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) out.error ??= `stream reset ${stream.rstCode}`;
      resolve(out);
    });
    stream.end(body);
  });
}

function exchangeH1(target: { port: number; agent: http.Agent }, path: string, headers: Record<string, string>, body: Uint8Array, streaming: boolean): Promise<Exchange> {
  return new Promise((resolve) => {
    const out: Exchange = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0) };
    const req = http.request({ host: "127.0.0.1", port: target.port, method: "POST", path, headers, agent: target.agent, timeout: TIMEOUT_MS });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => {
      out.error = e.message;
      resolve(out);
    });
    req.on("response", (res) => {
      out.status = res.statusCode ?? 0;
      out.headers = res.headers;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (streaming && chunks[0]![0] === 0) {
          out.streamed = true;
          res.destroy();
        }
      });
      res.on("error", (e) => (out.error = e.message));
      res.on("close", () => {
        out.body = Buffer.concat(chunks);
        resolve(out);
      });
    });
    req.end(body);
  });
}

function statusOf(protocol: Protocol, unaryConnect: boolean, res: Exchange): RawResult {
  if (res.streamed) return { code: OK, message: "streaming", httpStatus: res.status, payloads: [] };
  const result: RawResult = { code: undefined, message: res.error ?? "", httpStatus: res.status, payloads: [] };
  const grpcStatus = first(res.trailers["grpc-status"]) ?? first(res.headers["grpc-status"]);
  if (protocol === "grpc") {
    result.payloads = envelopes(res.body).filter((e) => e.flags === 0).map((e) => e.data);
    if (grpcStatus !== undefined) return { ...result, code: Number(grpcStatus) as Code, message: decodeURIComponent(first(res.trailers["grpc-message"]) ?? first(res.headers["grpc-message"]) ?? "") };
    return result;
  }
  if (protocol === "grpc-web") {
    if (grpcStatus !== undefined) return { ...result, code: Number(grpcStatus) as Code };
    const frames = envelopes(res.body);
    result.payloads = frames.filter((e) => (e.flags & 0x80) === 0).map((e) => e.data);
    const trailer = frames.find((e) => (e.flags & 0x80) !== 0);
    const status = trailer && /grpc-status:\s*(\d+)/i.exec(Buffer.from(trailer.data).toString("latin1"))?.[1];
    return status === undefined ? result : { ...result, code: Number(status) as Code };
  }
  if (unaryConnect) {
    if (res.status === 200) return { ...result, code: OK, payloads: [res.body] };
    const error = jsonOf(res.body) as { code?: string; message?: string } | undefined;
    const code = error?.code === undefined ? undefined : codeFromString(error.code);
    return { ...result, code, message: error?.message ?? result.message };
  }
  const frames = envelopes(res.body);
  result.payloads = frames.filter((e) => e.flags === 0).map((e) => e.data);
  const end = frames.find((e) => (e.flags & 0x02) !== 0);
  if (res.status !== 200 || !end) {
    const error = jsonOf(res.body) as { code?: string } | undefined;
    return { ...result, code: error?.code === undefined ? undefined : codeFromString(error.code) };
  }
  const endStream = jsonOf(end.data) as { error?: { code?: string; message?: string } } | undefined;
  if (!endStream) return result;
  if (!endStream.error) return { ...result, code: OK };
  return { ...result, code: endStream.error.code === undefined ? undefined : codeFromString(endStream.error.code), message: endStream.error.message ?? "" };
}

function envelopes(body: Buffer): { flags: number; data: Uint8Array }[] {
  const out = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined;
  }
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
