import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  RestoreChangeKind,
  RestorePlanSchema,
  RestoreTargetService,
  type RestoreSnapshotRef,
} from "../../../gen/vellum/v1/restore_target_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";

/** The snapshot Vellum restores, with its content already pulled and verified. */
export interface RestoreInput {
  snapshot: {
    storeId: string;
    snapshotId: string;
    resourceType: string;
    resourceId: string;
    version: number;
    sha256: string;
    size: number;
    snapshotType: keyof typeof SnapshotType;
  };
  targetResourceId: string;
  /** The snapshot's content, checked against `snapshot.sha256` and `snapshot.size`. */
  content: Uint8Array;
  /** Aborted when Vellum gives up on the call (plan only: an apply runs to its end once started). */
  signal: AbortSignal;
}

export interface PlannedChange {
  path: string;
  kind: "ADD" | "REMOVE" | "MODIFY";
  summary: string;
}

export interface RestoreTargetHandlers {
  /** What applying would change; must change nothing. */
  plan(input: RestoreInput): Promise<{ summary: string; changes?: PlannedChange[]; warnings?: string[] }>;
  /**
   * Makes the content live. Called at most once per idempotency key while this process lives
   * (repeats and concurrent calls with the key share the first call's outcome); returns the
   * SHA-256 of the live state, default the content's.
   */
  apply(input: RestoreInput & { idempotencyKey: string }): Promise<{ appliedDigest?: string } | void>;
  /** The resource's current state, or undefined when it does not exist. */
  capture(input: { targetResourceId: string; resourceType: string; signal: AbortSignal }): Promise<
    { data: Uint8Array; snapshotType?: keyof typeof SnapshotType } | { contentUrl: string; sha256?: string; snapshotType?: keyof typeof SnapshotType } | undefined
  >;
}

export interface RestoreTargetOptions {
  /** Largest content pulled into memory (default 256 MiB): a bigger snapshot is refused. */
  maxContentBytes?: number;
  /** Applied idempotency keys remembered (default 10000, oldest forgotten first). */
  rememberKeys?: number;
  /** Checks each call's headers (e.g. the secret registered with the target); throw to refuse. */
  authorize?(headers: Headers): void;
  /** Default: global fetch. */
  fetch?: typeof fetch;
}

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Pulls `url` (Vellum's signed download route) and verifies it: exactly `size` bytes whose
 * SHA-256 is `sha256`. DATA_LOSS otherwise; UNAVAILABLE when the download fails (Vellum retries).
 */
async function pullVerified(doFetch: typeof fetch, url: string, ref: RestoreSnapshotRef, max: number, signal: AbortSignal): Promise<Uint8Array> {
  const size = Number(ref.size);
  if (size > max) throw new ConnectError(`snapshot of ${size} bytes is larger than this target accepts (${max})`, Code.FailedPrecondition);
  let res: Response;
  try {
    res = await doFetch(url, { signal, redirect: "error" });
  } catch {
    throw new ConnectError("content_url could not be fetched", Code.Unavailable);
  }
  if (res.status !== 200 || !res.body) throw new ConnectError(`content_url answered HTTP ${res.status}`, res.status >= 500 ? Code.Unavailable : Code.FailedPrecondition);
  const out = new Uint8Array(size);
  let n = 0;
  const hash = createHash("sha256");
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (n + chunk.length > size) throw new ConnectError("content is longer than the snapshot's size", Code.DataLoss);
    out.set(chunk, n);
    hash.update(chunk);
    n += chunk.length;
  }
  if (n !== size) throw new ConnectError(`content is ${n} bytes, the snapshot has ${size}`, Code.DataLoss);
  if (hash.digest("hex") !== ref.sha256) throw new ConnectError("content does not match the snapshot's sha256", Code.DataLoss);
  return out;
}

/**
 * A RestoreTargetService (vellum/v1/restore_target.proto) for an owning service: mount the
 * returned routes with any connect-node adapter (`connectNodeAdapter({ routes })`, Express,
 * Fastify). The helper pulls each snapshot's content from the signed `content_url`, verifies it
 * by size and SHA-256 before a handler sees it, and makes `apply` idempotent per key.
 */
export function createRestoreTarget(handlers: RestoreTargetHandlers, opts: RestoreTargetOptions = {}): (router: ConnectRouter) => void {
  const max = opts.maxContentBytes ?? 256 * 1024 * 1024;
  const remember = opts.rememberKeys ?? 10_000;
  const doFetch = opts.fetch ?? fetch;
  const applied = new Map<string, Promise<string>>();

  const input = async (req: { snapshot?: RestoreSnapshotRef; targetResourceId: string; contentUrl: string }, signal: AbortSignal): Promise<RestoreInput> => {
    const ref = req.snapshot;
    if (!ref || !/^[0-9a-f]{64}$/.test(ref.sha256)) throw new ConnectError("snapshot with sha256 is required", Code.InvalidArgument);
    if (!req.contentUrl) throw new ConnectError("content_url is required", Code.InvalidArgument);
    const content = await pullVerified(doFetch, req.contentUrl, ref, max, signal);
    return {
      snapshot: {
        storeId: ref.storeId,
        snapshotId: ref.snapshotId,
        resourceType: ref.resourceType,
        resourceId: ref.resourceId,
        version: Number(ref.version),
        sha256: ref.sha256,
        size: Number(ref.size),
        snapshotType: (SnapshotType[ref.snapshotType] ?? "UNSPECIFIED") as keyof typeof SnapshotType,
      },
      targetResourceId: req.targetResourceId || ref.resourceId,
      content,
      signal,
    };
  };
  const authorize = (ctx: HandlerContext) => {
    try {
      opts.authorize?.(ctx.requestHeader);
    } catch (err) {
      throw err instanceof ConnectError ? err : new ConnectError("not authorized", Code.Unauthenticated);
    }
  };

  return (router) => {
    router.service(RestoreTargetService, {
      async planRestore(req, ctx) {
        authorize(ctx);
        const plan = await handlers.plan(await input(req, ctx.signal));
        return {
          plan: create(RestorePlanSchema, {
            summary: plan.summary,
            changes: (plan.changes ?? []).map((c) => ({ path: c.path, kind: RestoreChangeKind[c.kind], summary: c.summary })),
            warnings: plan.warnings ?? [],
          }),
        };
      },
      async applyRestore(req, ctx) {
        authorize(ctx);
        const key = req.idempotencyKey;
        if (!key) throw new ConnectError("idempotency_key is required", Code.InvalidArgument);
        let outcome = applied.get(key);
        if (!outcome) {
          // The apply belongs to the key, not to this call: a caller that goes away does not stop it.
          const detached = new AbortController().signal;
          outcome = input(req, detached).then(async (i) => (await handlers.apply({ ...i, idempotencyKey: key }))?.appliedDigest ?? sha256Hex(i.content));
          applied.set(key, outcome);
          outcome.catch(() => applied.delete(key));
          if (applied.size > remember) applied.delete(applied.keys().next().value!);
        }
        return { appliedDigest: await outcome };
      },
      async captureCurrent(req, ctx) {
        authorize(ctx);
        const state = await handlers.capture({ targetResourceId: req.targetResourceId, resourceType: req.resourceType, signal: ctx.signal });
        if (!state) return { notFound: true };
        const snapshotType = state.snapshotType ? SnapshotType[state.snapshotType] : SnapshotType.UNSPECIFIED;
        if ("data" in state) return { content: { case: "data", value: state.data }, snapshotType, sha256: sha256Hex(state.data) };
        return { content: { case: "contentUrl", value: state.contentUrl }, snapshotType, sha256: state.sha256 ?? "" };
      },
    });
  };
}
