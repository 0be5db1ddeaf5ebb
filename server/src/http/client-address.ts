import type http from "node:http";
import type http2 from "node:http2";
import { BlockList, isIP } from "node:net";

/** The header trusted proxies append the address of their client to. */
export type ForwardedHeader = "x-forwarded-for" | "forwarded";

export interface ProxyTrust {
  /** Peers whose forwarding header is believed: IP addresses or CIDRs (`10.0.0.0/8`, `fd00::/8`). */
  trusted: readonly string[];
  /** `x-forwarded-for` (default) or RFC 7239 `forwarded`; the other header is never read. */
  header: ForwardedHeader;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;

/**
 * A BlockList matching `entries` (IP addresses or CIDRs).
 *
 * @throws TypeError naming the first entry that is neither.
 */
export function trustedPeers(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(prefix!) && bits <= max))) {
      throw new TypeError(`not an IP address or CIDR: ${JSON.stringify(entry)}`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, bits, type);
  }
  return list;
}

/**
 * The client address of a request. A request from a trusted peer (a proxy) is attributed to the
 * right-most address in its forwarding header that is not itself a trusted proxy: each trusted
 * proxy appends the peer it received the request from, so everything left of that hop may be
 * forged by the client. A hop that does not parse as an address (`unknown`, an obfuscated RFC 7239
 * identifier, garbage) makes the client unknown (""), which no IP allowlist admits. A request
 * from any other peer is attributed to the peer; its forwarding headers are ignored. IPv4-mapped
 * IPv6 addresses are reported as IPv4.
 */
export function createClientAddress(trust?: ProxyTrust): (req: Req) => string {
  const peers = trust?.trusted.length ? trustedPeers(trust.trusted) : undefined;
  const isTrusted = (address: string) => peers !== undefined && peers.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
  return (req) => {
    const peer = normalizeIp(req.socket.remoteAddress ?? "") ?? "";
    if (!peer || !isTrusted(peer)) return peer;
    const raw = req.headers[trust!.header];
    const value = Array.isArray(raw) ? raw.join(",") : raw;
    const hops = !value ? [] : trust!.header === "forwarded" ? forwardedFor(value) : value.split(",").map(normalizeIp);
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      if (hop === undefined) return "";
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`),
 * without port or brackets; undefined when it is not an IP address.
 */
export function normalizeIp(text: string): string | undefined {
  let v = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(v);
  if (bracketed) {
    v = bracketed[1]!;
    if (isIP(v) !== 6) return undefined;
  } else if (!isIP(v)) {
    const withPort = /^([\d.]+):\d{1,5}$/.exec(v);
    if (!withPort || isIP(withPort[1]!) !== 4) return undefined;
    v = withPort[1]!;
  }
  v = v.toLowerCase();
  return MAPPED_V4.exec(v)?.[1] ?? v;
}

/**
 * The `for=` node of each element of an RFC 7239 Forwarded header, left to right (undefined for an
 * element without one or whose node is not an IP address).
 */
export function forwardedFor(value: string): (string | undefined)[] {
  return splitOutsideQuotes(value, ",").map((element) => {
    for (const pair of splitOutsideQuotes(element, ";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "for") continue;
      let node = pair.slice(eq + 1).trim();
      if (node.startsWith('"')) node = node.slice(1, node.endsWith('"') && node.length > 1 ? -1 : undefined).replace(/\\(.)/g, "$1");
      return normalizeIp(node);
    }
    return undefined;
  });
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
