import { invalidField } from "../domain/errors.js";
import type { Job, JobError, JobKindInfo, JobKindLookup, JobResult, JobScope } from "../domain/jobs/types.js";

/** Attempts (claims, crashes included) after which a job fails, unless its kind says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** What a handler gets: the job, its parsed params, a cancellation signal, progress and logging. */
export interface JobContext<P, S extends JobScope = JobScope> {
  job: Job;
  /** The job's store; undefined for system kinds. */
  storeId: S extends "store" ? string : undefined;
  params: P;
  /**
   * Aborted when the job is cancelled (reason "cancelled", seen within a second), when this worker
   * lost its lease ("lease lost"), or on shutdown ("shutdown"). A handler stops soon after.
   */
  signal: AbortSignal;
  /** 0..99; persisted with the next heartbeat. */
  progress(percent: number): void;
  /** One log line; persisted with the next heartbeat (bounded per attempt). */
  log(line: string): void;
}

/** Outcome of a handler: SUCCEEDED with a result, or FAILED with errors (and a partial result). */
export type JobOutcome =
  | { ok: true; result: JobResult; /** Park the job in AWAITING_CONFIRMATION with `result` instead of ending it. */ awaitConfirmation?: boolean }
  | { ok: false; errors: JobError[]; result?: JobResult };

/**
 * A job kind: one module under jobs/kinds/, registered by its capability's wiring module.
 *
 * - `parseParams` validates raw params (JSON) and returns them typed; what it returns on enqueue is
 *   what is stored, so it must be plain JSON. It runs on enqueue (bad params are INVALID_ARGUMENT
 *   for the caller) and again on claim (a job whose params no longer parse fails without retries).
 * - `handler` runs one attempt. Returning an outcome ends the job. Throwing a typed domain error
 *   fails it at once, except Unavailable and Aborted, which, like any unexpected error, are
 *   retried with exponential backoff until `maxAttempts`.
 * - Handlers must be idempotent per job: an attempt may be repeated after a crash (at least once).
 */
export interface JobKind<P = unknown, S extends JobScope = JobScope> {
  readonly type: string;
  readonly scope: S;
  /** Default DEFAULT_MAX_ATTEMPTS. */
  readonly maxAttempts?: number;
  parseParams(raw: Record<string, unknown>): P;
  handler(ctx: JobContext<P, S>): Promise<JobOutcome>;
}

export type AnyJobKind = JobKind<any, any>;

/** Identity helper that infers P and S, so a kind module reads `export const x = defineJobKind({...})`. */
export const defineJobKind = <P, S extends JobScope>(kind: JobKind<P, S>): JobKind<P, S> => kind;

/** Params parser for kinds that take none: anything other than `{}` is INVALID_ARGUMENT. */
export function noParams(raw: Record<string, unknown>): Record<string, never> {
  const extra = Object.keys(raw);
  if (extra.length) throw invalidField(`params.${extra[0]}`, "is not a parameter of this job kind");
  return {};
}

/** The kinds this process knows, by type. Open: each capability registers its own kinds. */
export interface JobKindRegistry extends JobKindLookup {
  register(...kinds: AnyJobKind[]): void;
  get(type: string): AnyJobKind | undefined;
  /** Registered types; a worker claims only jobs of these. */
  types(): string[];
}

export function createJobKindRegistry(initial: AnyJobKind[] = []): JobKindRegistry {
  const kinds = new Map<string, AnyJobKind>();
  const registry: JobKindRegistry = {
    register(...list) {
      for (const k of list) {
        if (kinds.has(k.type)) throw new Error(`job kind ${k.type} is registered twice`);
        kinds.set(k.type, k);
      }
    },
    get: (type) => kinds.get(type),
    types: () => [...kinds.keys()],
    info(type): JobKindInfo | undefined {
      const k = kinds.get(type);
      return k && { scope: k.scope, maxAttempts: k.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, parseParams: (raw) => k.parseParams(raw) as Record<string, unknown> };
    },
  };
  registry.register(...initial);
  return registry;
}
