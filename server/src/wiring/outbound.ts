import type { Config } from "../config.js";
import { createOutboundGuard, type OutboundGuard } from "../outbound/outbound-guard.js";
import { nothingToClose, type Wired } from "./module.js";

export interface OutboundUseCases {
  /** The SSRF guard every outbound call uses (restore targets, webhooks, exports, URL imports). */
  outbound: OutboundGuard;
}

/** The outbound-call guard, allowlisting VELLUM_OUTBOUND_ALLOW_HOSTS. */
export function wireOutbound(config: Pick<Config, "outboundAllowHosts">): Wired<OutboundUseCases> {
  return { useCases: { outbound: createOutboundGuard({ allowHosts: config.outboundAllowHosts }) }, jobKinds: [], close: nothingToClose };
}
