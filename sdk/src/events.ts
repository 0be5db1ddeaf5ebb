/**
 * Typed wrappers of EventService: `watchEvents`, an async iterator of a store's events that
 * reconnects by itself and resumes from the last event id it saw (no gap, no duplicate), and
 * `listEvents`, a pager for polling clients.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Event } from "../../gen/vellum/v1/event_pb.js";
import type { ListEventsRequestSchema, WatchEventsRequestSchema } from "../../gen/vellum/v1/event_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { Code, toVellumError, VellumError } from "./errors.js";
import { resolveRetryOptions, retryDelay, type RetryOptions } from "./retry-policy.js";
import { sleep } from "./vellum-transport.js";

type Events = Pick<VellumClient, "events">;

/** Failures after which watchEvents reconnects (the stream or the server went away). */
const RECONNECT_CODES = [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Internal, Code.Unknown, Code.Aborted];

export interface WatchOptions extends Omit<CallOptions, "timeoutMs"> {
  /**
   * Reconnect policy: consecutive failed connections allowed (the count restarts once a message
   * arrives) and backoff. Default: 8 attempts, 250 ms doubling to 15 s, on UNAVAILABLE,
   * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN and ABORTED, or a stream the server ended.
   */
  reconnect?: Partial<RetryOptions>;
  /** Called with the cursor on every heartbeat (including the first, the starting point). */
  onHeartbeat?: (lastEventId: bigint) => void;
  /** Called before each reconnect wait. */
  onReconnect?: (e: { attempt: number; delayMs: number; error: VellumError; lastEventId: bigint }) => void;
}

/**
 * The store's events as they commit, forever (until `signal` aborts or the reconnect policy gives
 * up, which throws the last VellumError). Starts after `after_event_id` (0: from now, or from the
 * oldest kept event with `from_start`); after a dropped connection it resumes from the newest id
 * it has seen (an event's, or a heartbeat's), so each event is yielded exactly once. Breaking out
 * of the loop closes the stream.
 */
export async function* watchEvents(client: Events, req: MessageInitShape<typeof WatchEventsRequestSchema>, options: WatchOptions = {}): AsyncGenerator<Event> {
  const policy = resolveRetryOptions({ maxAttempts: 8, initialDelayMs: 250, maxDelayMs: 15_000, retryableCodes: RECONNECT_CODES, ...options.reconnect });
  let cursor = BigInt(req.afterEventId ?? 0);
  let started = cursor > 0n;
  let failures = 0;
  for (;;) {
    const call = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, call.signal]) : call.signal;
    let error: VellumError;
    try {
      const stream = client.events.watchEvents({ ...req, afterEventId: cursor, fromStart: started ? false : (req.fromStart ?? false) }, { signal, headers: options.headers });
      for await (const m of stream) {
        failures = 0;
        if (m.lastEventId > cursor || !started) cursor = m.lastEventId;
        started = true;
        if (m.event) yield m.event;
        else options.onHeartbeat?.(cursor);
      }
      error = new VellumError(Code.Unavailable, "the server ended the event stream");
    } catch (e) {
      error = toVellumError(e);
      // Not cancelled by the caller: the connection was cut under the stream (HTTP/2 reports CANCEL).
      if (error.code === Code.Canceled && !options.signal?.aborted) error = new VellumError(Code.Unavailable, `event stream lost: ${error.rawMessage}`, { cause: error });
    } finally {
      call.abort();
    }
    if (options.signal?.aborted) return;
    failures++;
    const delayMs = retryDelay(policy, error, failures);
    if (delayMs === undefined) throw error;
    options.onReconnect?.({ attempt: failures, delayMs, error, lastEventId: cursor });
    await sleep(delayMs, options.signal).catch(() => undefined);
    if (options.signal?.aborted) return;
  }
}

/**
 * Events after `after_event_id`, oldest first, page by page, up to the newest committed when the
 * iteration reaches it (then it ends; continue later from the last event's id).
 */
export async function* listEvents(client: Events, req: MessageInitShape<typeof ListEventsRequestSchema>, options: CallOptions = {}): AsyncGenerator<Event> {
  let after = BigInt(req.afterEventId ?? 0);
  for (;;) {
    const page = await client.events.listEvents({ ...req, afterEventId: after }, options);
    yield* page.events;
    if (page.nextAfterEventId === after || page.events.length === 0) return;
    after = page.nextAfterEventId;
  }
}
