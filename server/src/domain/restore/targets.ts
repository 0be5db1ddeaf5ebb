import type { AuditContext } from "../audit/audit-context.js";
import { notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "../paging.js";
import type { Clock } from "../ports.js";
import { Validator } from "../validate.js";
import type { RestoreTarget, RestoreTargetChanges, RestoreTargetProtocol, RestoreTargetRepository } from "./types.js";

export const DEFAULT_TARGET_TIMEOUT_MS = 30_000;
export const MIN_TARGET_TIMEOUT_MS = 100;
export const MAX_TARGET_TIMEOUT_MS = 600_000;
export const MAX_AUTH_SECRET_CHARS = 4096;
export const TARGET_SERVICE_RE = /^[A-Za-z0-9._-]+$/;
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers a target secret may not ride in: the protocol's own. */
const RESERVED_HEADERS = new Set(["content-type", "content-length", "te", "host", "connection", "grpc-timeout", "connect-timeout-ms", "user-agent"]);

/** Registration-time SSRF check (outbound/outbound-guard.ts `checkUrl`): INVALID_ARGUMENT naming `field`. */
export interface EndpointCheck {
  checkUrl(raw: string, field: string): Promise<URL>;
}

export interface RegisterTargetInput {
  storeId: string;
  targetService: string;
  resourceType: string;
  endpoint: string;
  protocol?: RestoreTargetProtocol;
  timeoutMs: number;
  critical: boolean;
  authHeaderName: string;
  authSecret: string;
}

function checkTargetFields(v: Validator, f: Partial<RegisterTargetInput>): void {
  if (f.resourceType !== undefined) v.pattern("resource_type", f.resourceType, /^[A-Za-z0-9._:-]+$/, 128, "1-128 characters of [A-Za-z0-9._:-]");
  if (f.timeoutMs !== undefined && f.timeoutMs !== 0) v.range("timeout_ms", f.timeoutMs, MIN_TARGET_TIMEOUT_MS, MAX_TARGET_TIMEOUT_MS);
  if (f.authHeaderName) {
    if (!HEADER_NAME_RE.test(f.authHeaderName) || f.authHeaderName.length > 64) v.add("auth_header_name", "must be a lowercase HTTP header name of at most 64 characters");
    else if (RESERVED_HEADERS.has(f.authHeaderName) || f.authHeaderName.startsWith("grpc-") || f.authHeaderName.startsWith("connect-")) {
      v.add("auth_header_name", "must not be a protocol header");
    }
  }
  if (f.authSecret !== undefined) {
    if (f.authSecret.length > MAX_AUTH_SECRET_CHARS) v.add("auth_secret", `must be at most ${MAX_AUTH_SECRET_CHARS} characters`);
    else if (/[^\x20-\x7e]/.test(f.authSecret)) v.add("auth_secret", "must be printable ASCII");
  }
}

/** Register, list, update and delete restore targets (RestoreService). */
export function createRestoreTargetUseCases(deps: { targets: RestoreTargetRepository; endpoints: EndpointCheck; clock: Clock }) {
  const { targets } = deps;
  const checkKey = (storeId: string, targetService: string) => {
    const v = new Validator();
    v.storeId("store_id", storeId);
    v.pattern("target_service", targetService, TARGET_SERVICE_RE, 128, "1-128 characters of [A-Za-z0-9._-]");
    return v;
  };

  return {
    async register(input: RegisterTargetInput, audit: AuditContext): Promise<RestoreTarget> {
      const v = checkKey(input.storeId, input.targetService);
      checkTargetFields(v, input);
      if (!input.protocol) v.add("protocol", "is required: GRPC or CONNECT");
      if (!input.endpoint) v.add("endpoint", "is required");
      v.throwIfAny();
      const url = await deps.endpoints.checkUrl(input.endpoint, "endpoint");
      const now = deps.clock.now();
      return targets.insert(
        {
          storeId: input.storeId,
          targetService: input.targetService,
          resourceType: input.resourceType,
          endpoint: url.href.replace(/\/+$/, ""),
          protocol: input.protocol!,
          timeoutMs: input.timeoutMs || DEFAULT_TARGET_TIMEOUT_MS,
          critical: input.critical,
          authHeaderName: input.authHeaderName || "authorization",
          createdBy: audit.actor,
          createTime: now,
          updateTime: now,
        },
        input.authSecret,
        audit,
      );
    },

    async get(storeId: string, targetService: string): Promise<RestoreTarget> {
      checkKey(storeId, targetService).throwIfAny();
      const t = await targets.get(storeId, targetService);
      if (!t) throw notFound("restore target", targetService);
      return t;
    },

    async list(storeId: string, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const after = decodePageToken(pageToken, { storeId }, (c) => {
        const s = (c as { s?: unknown } | undefined)?.s;
        return typeof s === "string" && TARGET_SERVICE_RE.test(s) ? s : undefined;
      });
      const page = await targets.list(storeId, size, after);
      return { targets: page.items, nextPageToken: page.next ? encodePageToken({ s: page.next }, { storeId }) : "" };
    },

    async update(storeId: string, targetService: string, changes: RestoreTargetChanges, audit: AuditContext): Promise<RestoreTarget> {
      const v = checkKey(storeId, targetService);
      checkTargetFields(v, changes);
      if (changes.endpoint === "") v.add("endpoint", "must not be empty");
      v.throwIfAny();
      const c = { ...changes };
      if (c.endpoint !== undefined) c.endpoint = (await deps.endpoints.checkUrl(c.endpoint, "endpoint")).href.replace(/\/+$/, "");
      if (c.timeoutMs === 0) c.timeoutMs = DEFAULT_TARGET_TIMEOUT_MS;
      if (c.authHeaderName === "") c.authHeaderName = "authorization";
      const t = await targets.update(storeId, targetService, c, deps.clock.now(), audit);
      if (!t) throw notFound("restore target", targetService);
      return t;
    },

    async delete(storeId: string, targetService: string, audit: AuditContext): Promise<void> {
      checkKey(storeId, targetService).throwIfAny();
      if (!(await targets.delete(storeId, targetService, audit))) throw notFound("restore target", targetService);
    },
  };
}

export type RestoreTargetUseCases = ReturnType<typeof createRestoreTargetUseCases>;
