import type { BinaryReadOptions, JsonReadOptions } from "@bufbuild/protobuf";

/** Bytes of the message size limit per message a request may hold (requestParsing). */
export const BYTES_PER_REQUEST_MESSAGE = 64;

/**
 * How request messages are parsed, as connect router or method options (the patched protobuf-es's
 * `messageLimit`, patches/README.md). A request message costs an object per message it holds, and
 * an empty entry of a repeated message field is 2 bytes on the wire: at the 16 MiB size limit, a
 * BatchCreateSnapshots of empty items made the parser build 8.4 million objects (2 GB, 15 s of the
 * event loop) before any handler could refuse it. So a request holds at most one message per
 * BYTES_PER_REQUEST_MESSAGE bytes of `maxMessageBytes` (262,244 at 16 MiB, the root included; a
 * JSON document sent as a Value counts one per value), unless `messageLimit` says otherwise. A
 * JSON request is held, before JSON.parse, to as many objects, arrays and object keys: a 16 MiB
 * CommitSnapshot of `{}` entries made 1.25 GB in 9 s.
 *
 * Unknown binary fields are skipped, not kept: kept, each becomes an object, and a 16 MiB request of
 * 3-byte unknown fields made 5.6 million of them (1 GB of RSS) for any RPC. Vellum never forwards
 * a request's unknown fields. (Unknown JSON fields are ignored, connect's default.)
 */
export function requestParsing(
  maxMessageBytes: number,
  messageLimit?: number,
): { binaryOptions: Partial<BinaryReadOptions>; jsonOptions: Partial<JsonReadOptions> } {
  const limit = messageLimit ?? Math.ceil(maxMessageBytes / BYTES_PER_REQUEST_MESSAGE) + 100;
  return { binaryOptions: Object.freeze({ readUnknownFields: false, messageLimit: limit }), jsonOptions: Object.freeze({ messageLimit: limit }) };
}
