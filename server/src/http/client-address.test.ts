import type http from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createClientAddress, forwardedFor, normalizeIp, trustedPeers, type ProxyTrust } from "./client-address.js";

const req = (peer: string, headers: Record<string, string | string[]> = {}) => ({ socket: { remoteAddress: peer }, headers }) as unknown as http.IncomingMessage;
const xff = (trusted: string[]): ProxyTrust => ({ trusted, header: "x-forwarded-for" });

test("without trusted proxies the TCP peer is the client and forwarding headers are ignored", () => {
  const address = createClientAddress();
  assert.is(address(req("10.0.0.5", { "x-forwarded-for": "1.2.3.4", forwarded: "for=1.2.3.4" })), "10.0.0.5");
  assert.is(address(req("::ffff:192.0.2.7")), "192.0.2.7", "IPv4-mapped IPv6 is reported as IPv4");
});

test("an untrusted peer's X-Forwarded-For is ignored", () => {
  const address = createClientAddress(xff(["10.0.0.0/8"]));
  assert.is(address(req("203.0.113.9", { "x-forwarded-for": "10.1.1.1, 198.51.100.1" })), "203.0.113.9");
});

test("from a trusted peer the right-most untrusted hop of X-Forwarded-For is the client", () => {
  const address = createClientAddress(xff(["10.0.0.0/8", "fd00::/8"]));
  // The client forged "1.1.1.1"; the edge proxy appended the real peer, an inner proxy appended the edge.
  assert.is(address(req("10.0.0.2", { "x-forwarded-for": "1.1.1.1, 198.51.100.23, 10.0.0.1" })), "198.51.100.23");
  assert.is(address(req("::ffff:10.0.0.2", { "x-forwarded-for": "198.51.100.23" })), "198.51.100.23");
  assert.is(address(req("fd00::2", { "x-forwarded-for": "[2001:db8::17]:4711" })), "2001:db8::17");
  assert.is(address(req("10.0.0.2", { "x-forwarded-for": "198.51.100.23:5555" })), "198.51.100.23", "a port is dropped");
  assert.is(address(req("10.0.0.2", { "x-forwarded-for": ["1.1.1.1", "198.51.100.23"] })), "198.51.100.23", "repeated headers read as one list");
});

test("a trusted peer without the header is the client; a chain of trusted hops ends at its left-most address", () => {
  const address = createClientAddress(xff(["10.0.0.0/8"]));
  assert.is(address(req("10.0.0.2")), "10.0.0.2");
  assert.is(address(req("10.0.0.2", { "x-forwarded-for": "10.0.0.9, 10.0.0.1" })), "10.0.0.9");
});

test("an unparsable nearest untrusted hop makes the client unknown", () => {
  const address = createClientAddress(xff(["10.0.0.0/8"]));
  for (const bad of ["unknown", "1.2.3", "", "not-an-ip", "1.2.3.4.5"]) {
    assert.is(address(req("10.0.0.2", { "x-forwarded-for": `198.51.100.1, ${bad}` })), "", bad);
  }
});

test("Forwarded (RFC 7239) is read only when configured, with quoting, IPv6 and ports", () => {
  const trust: ProxyTrust = { trusted: ["10.0.0.0/8"], header: "forwarded" };
  const address = createClientAddress(trust);
  const headers = {
    forwarded: 'for=1.1.1.1;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1, For=10.0.0.1',
    "x-forwarded-for": "9.9.9.9",
  };
  assert.is(address(req("10.0.0.2", headers)), "2001:db8:cafe::17");
  assert.is(address(req("10.0.0.2", { "x-forwarded-for": "9.9.9.9" })), "10.0.0.2", "X-Forwarded-For is not read in this mode");
  assert.is(address(req("10.0.0.2", { forwarded: "for=_hidden, for=10.0.0.1" })), "", "an obfuscated node is unknown");
  assert.is(createClientAddress(xff(["10.0.0.0/8"]))(req("10.0.0.2", headers)), "9.9.9.9", "Forwarded is not read in X-Forwarded-For mode");
});

test("forwardedFor and normalizeIp parse what proxies write", () => {
  assert.equal(forwardedFor('for="198.51.100.1:80";proto=http, by=1.2.3.4, for=unknown, for="a\\"b"'), ["198.51.100.1", undefined, undefined, undefined]);
  assert.is(normalizeIp(" 192.0.2.1 "), "192.0.2.1");
  assert.is(normalizeIp("2001:DB8::1"), "2001:db8::1");
  assert.is(normalizeIp("[::ffff:192.0.2.1]:443"), "192.0.2.1");
  assert.is(normalizeIp("[192.0.2.1]"), undefined);
  assert.is(normalizeIp("1.2.3.4:99:1"), undefined);
});

test("trustedPeers takes addresses and CIDRs and refuses anything else", () => {
  const list = trustedPeers(["10.0.0.0/8", "192.0.2.1", "fd00::/8", "::1"]);
  assert.ok(list.check("10.200.0.1", "ipv4"));
  assert.ok(list.check("192.0.2.1", "ipv4"));
  assert.not.ok(list.check("192.0.2.2", "ipv4"));
  assert.ok(list.check("fd12::1", "ipv6"));
  for (const bad of ["10.0.0.0/33", "10.0.0/8", "example.com", "10.0.0.0/8/1", "fd00::/129", "10.0.0.0/x", "10.0.0.0/"]) {
    assert.throws(() => trustedPeers([bad]), TypeError, bad);
  }
});

test.run();
