import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "../lib/logger.js";
import { silentLogger } from "../lib/logger.js";

/** The caller, as established by authentication. */
export interface Caller {
  id: string;
  kind: "local_admin" | "api_key" | "jwt" | "share";
}

/** Per-request values set by interceptors; handlers read them, never globals. */
export const callerKey = createContextKey<Caller>({ id: "anonymous", kind: "local_admin" }, { description: "caller" });
export const requestIdKey = createContextKey<string>("", { description: "request id" });
export const loggerKey = createContextKey<Logger>(silentLogger, { description: "request logger" });

export const callerOf = (ctx: HandlerContext) => ctx.values.get(callerKey);
export const requestIdOf = (ctx: HandlerContext) => ctx.values.get(requestIdKey);
