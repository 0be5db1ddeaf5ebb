import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { DomainError, invalidField } from "../domain/errors.js";
import { isForbiddenAddress } from "./address-policy.js";

/** Resolves a host name to every address it has (dns.lookup with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

export interface OutboundGuardOptions {
  /**
   * Hosts (names or literal addresses, compared case-insensitively) that may be reached whatever
   * they resolve to: VELLUM_OUTBOUND_ALLOW_HOSTS, for internal receivers and tests.
   */
  allowHosts: readonly string[];
  /** URL schemes allowed; default https and http. */
  schemes?: readonly string[];
  /** Name resolution; default the system resolver. Tests inject a rebinding stub. */
  resolve?: Resolver;
}

/** An outbound call refused because its destination is not allowed (at registration or connect time). */
export const outboundRefused = (message: string) => new DomainError("FailedPrecondition", message, { reason: "OUTBOUND_ADDRESS_REFUSED" });

/**
 * The guard every outbound call goes through (restore targets, webhooks, exports, URL imports):
 *
 * - `checkUrl` at registration: the URL must parse, use an allowed scheme, carry no userinfo, and
 *   every address its host resolves to must be public (address-policy.ts), unless the host is
 *   allowlisted. Bad input is INVALID_ARGUMENT naming `field`.
 * - `lookup` at connect time, for `http`/`https`/`http2`/`net` options (and connect-node's
 *   `nodeOptions`): resolves again and refuses a forbidden address, so a name that re-binds to a
 *   private address after registration (DNS rebinding) still cannot be reached. The connection
 *   uses exactly the address that was checked.
 *
 * Callers must not follow redirects (a redirect is a new, unchecked destination).
 */
export function createOutboundGuard(opts: OutboundGuardOptions) {
  const allow = new Set(opts.allowHosts.map((h) => h.toLowerCase().replace(/^\[|\]$/g, "")));
  const schemes = new Set(opts.schemes ?? ["https:", "http:"]);
  const resolve = opts.resolve ?? systemResolver;
  const allowed = (host: string) => allow.has(host.toLowerCase().replace(/^\[|\]$/g, ""));

  /** The addresses of `host` that may be connected to; throws outboundRefused when none or any is forbidden. */
  async function addressesOf(host: string): Promise<LookupAddress[]> {
    const bare = host.replace(/^\[|\]$/g, "");
    const literal = isIP(bare);
    const addrs = literal ? [{ address: bare, family: literal }] : await resolve(bare).catch(() => {
      throw outboundRefused(`host ${bare} does not resolve`);
    });
    if (addrs.length === 0) throw outboundRefused(`host ${bare} does not resolve`);
    if (allowed(bare)) return addrs;
    // Any forbidden answer refuses the host: a resolver may rotate answers between calls.
    if (addrs.some((a) => isForbiddenAddress(a.address))) {
      throw outboundRefused(`host ${bare} resolves to a private, loopback, link-local or reserved address`);
    }
    return addrs;
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    addressesOf(hostname).then(
      (addrs) => {
        const family = typeof options === "object" && options?.family ? Number(options.family) : 0;
        const pick = addrs.filter((a) => family === 0 || a.family === family);
        if (pick.length === 0) return callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
        if (typeof options === "object" && options?.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, pick);
        callback(null, pick[0].address, pick[0].family);
      },
      (err: unknown) => callback(Object.assign(err instanceof Error ? err : new Error(String(err)), { code: "EOUTBOUNDREFUSED" }), "", 0),
    );
  };

  return {
    /** Validates a destination URL at registration (see above); returns it parsed. */
    async checkUrl(raw: string, field: string): Promise<URL> {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw invalidField(field, "must be an absolute URL");
      }
      if (!schemes.has(url.protocol)) throw invalidField(field, `scheme must be one of ${[...schemes].map((s) => s.slice(0, -1)).join(", ")}`);
      if (url.username || url.password) throw invalidField(field, "must not carry credentials (user:password@)");
      if (!url.hostname) throw invalidField(field, "must name a host");
      try {
        await addressesOf(url.hostname);
      } catch (err) {
        throw invalidField(field, err instanceof Error ? err.message : "is not allowed");
      }
      return url;
    },
    /** Whether `host` is in VELLUM_OUTBOUND_ALLOW_HOSTS (such hosts may also be reached over plain http where https is otherwise required). */
    allowsHost: (host: string): boolean => allowed(host),
    /** Throws outboundRefused unless `host` may be reached now (connect-time check for callers that connect themselves). */
    async checkHost(host: string): Promise<void> {
      await addressesOf(host);
    },
    /** A `lookup` for Node's connect options that refuses forbidden addresses (DNS rebinding included). */
    lookup,
  };
}

export type OutboundGuard = ReturnType<typeof createOutboundGuard>;
