/**
 * IPv4/IPv6 address and CIDR parsing for share-link IP allowlists.
 *
 * Addresses: dotted-quad IPv4 (no leading zeros, which some parsers read as octal) and RFC 4291 IPv6
 * text (`::` compression, embedded IPv4 tail); an IPv6 zone (`%eth0`) is ignored. IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, as Node reports IPv4 clients on dual-stack sockets) is treated as the IPv4
 * address everywhere.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
}

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseV4(s: string): Uint8Array | undefined {
  return V4_RE.test(s) ? Uint8Array.from(s.split("."), Number) : undefined;
}

function parseGroups(part: string): number[] | undefined {
  if (part === "") return [];
  const out: number[] = [];
  const pieces = part.split(":");
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (i === pieces.length - 1 && p.includes(".")) {
      const v4 = parseV4(p);
      if (!v4) return undefined;
      out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (HEX_GROUP_RE.test(p)) out.push(parseInt(p, 16));
    else return undefined;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  // A dotted tail is only valid at the very end of the address.
  if (halves.length === 2 && halves[0].includes(".")) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => ((bytes[2 * i] = g >> 8), (bytes[2 * i + 1] = g & 0xff)));
  return bytes;
}

const isMapped = (b: Uint8Array) => b.length === 16 && MAPPED_PREFIX.every((v, i) => b[i] === v);

/** Parses an address; IPv4-mapped IPv6 comes back as family 4. Undefined when not an address. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.trim();
  const v4 = parseV4(s);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseV6(s.includes("%") ? s.slice(0, s.indexOf("%")) : s);
  if (!v6) return undefined;
  return isMapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
}

/**
 * Parses `addr/prefix` (or a bare address, meaning a single host). Host bits must be zero
 * (`10.0.0.1/8` is refused as a likely typo). An IPv4-mapped IPv6 network with prefix ≥ 96 becomes
 * the equivalent IPv4 network. Undefined when invalid.
 */
export function parseCidr(text: string): Cidr | undefined {
  const s = text.trim();
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.slice(0, slash);
  if (addrText.includes("%")) return undefined;
  const v4 = parseV4(addrText);
  let bytes = v4 ?? parseV6(addrText);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  if (!hostBitsZero(bytes, prefix)) return undefined;
  if (bytes.length === 16 && isMapped(bytes) && prefix >= 96) {
    bytes = bytes.slice(12);
    prefix -= 96;
  }
  return { family: bytes.length === 4 ? 4 : 6, bytes, prefix };
}

function hostBitsZero(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

function prefixMatches(net: Uint8Array, prefix: number, addr: Uint8Array): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((net[bit >> 3] & mask) !== (addr[bit >> 3] & mask)) return false;
  }
  return true;
}

/**
 * True when `addr` lies in `cidr`. An IPv4 address also matches IPv6 networks that contain its
 * IPv4-mapped form (so `::/0` matches every address).
 */
export function cidrContains(cidr: Cidr, addr: IpAddress): boolean {
  if (cidr.family === addr.family) return prefixMatches(cidr.bytes, cidr.prefix, addr.bytes);
  if (cidr.family === 6 && addr.family === 4) {
    return prefixMatches(cidr.bytes, cidr.prefix, Uint8Array.from([...MAPPED_PREFIX, ...addr.bytes]));
  }
  return false;
}
