/** Node error codes that mean the client cancelled or disconnected while a response was being written. */
const CLIENT_GONE = new Set([
  "ECANCELED",
  "ECONNRESET",
  "EPIPE",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_INVALID_STREAM",
]);
/** How deep an error's cause chain is searched. */
const MAX_CAUSE_DEPTH = 5;

/**
 * Whether writing a response failed because the client went away (e.g. `write ECANCELED` when an
 * HTTP/2 client cancels a download it has stopped reading): a client event, not a server fault.
 */
export function isClientGone(err: unknown): boolean {
  let e = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CLIENT_GONE.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
