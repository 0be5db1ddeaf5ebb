import { test } from "uvu";
import * as assert from "uvu/assert";
import { cidrContains, parseCidr, parseIp } from "./ip-cidr.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const within = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);

test("parseIp: IPv4", () => {
  assert.equal(parseIp("192.168.0.1"), { family: 4, bytes: Uint8Array.from([192, 168, 0, 1]) });
  for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ""]) {
    assert.is(parseIp(bad), undefined, bad);
  }
});

test("parseIp: IPv6 forms", () => {
  assert.is(hex(parseIp("2001:db8::1")!.bytes), "20010db8000000000000000000000001");
  assert.is(hex(parseIp("::")!.bytes), "0".repeat(32));
  assert.is(hex(parseIp("::1")!.bytes), "0".repeat(31) + "1");
  assert.is(hex(parseIp("1:2:3:4:5:6:7:8")!.bytes), "00010002000300040005000600070008");
  assert.is(hex(parseIp("1:2:3:4:5:6:7::")!.bytes), "00010002000300040005000600070000");
  assert.is(hex(parseIp("64:ff9b::192.0.2.33")!.bytes), "0064ff9b0000000000000000c0000221");
  assert.is(hex(parseIp("fe80::1%eth0")!.bytes), "fe800000000000000000000000000001");
  for (const bad of ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "1.2.3.4::", "g::1", "::1.2.3"]) {
    assert.is(parseIp(bad), undefined, bad);
  }
});

test("parseIp: IPv4-mapped IPv6 becomes IPv4 (dotted and hex tails)", () => {
  assert.equal(parseIp("::ffff:1.2.3.4"), { family: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
  assert.equal(parseIp("::FFFF:0102:0304"), { family: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
});

test("parseCidr: prefixes, bare hosts, host bits, mapped networks", () => {
  assert.equal(parseCidr("10.0.0.0/8"), { family: 4, bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 });
  assert.is(parseCidr("10.1.2.3")!.prefix, 32);
  assert.is(parseCidr("2001:db8::/32")!.prefix, 32);
  assert.is(parseCidr("::1")!.prefix, 128);
  assert.equal(parseCidr("::ffff:10.0.0.0/104"), { family: 4, bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 });
  for (const bad of ["10.0.0.1/8", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "fe80::%eth0/64", "x/8", "2001:db8::1/32"]) {
    assert.is(parseCidr(bad), undefined, bad);
  }
});

test("cidrContains: IPv4", () => {
  assert.ok(within("10.0.0.0/8", "10.255.1.2"));
  assert.not.ok(within("10.0.0.0/8", "11.0.0.0"));
  assert.ok(within("192.168.1.0/25", "192.168.1.127"));
  assert.not.ok(within("192.168.1.0/25", "192.168.1.128"));
  assert.ok(within("0.0.0.0/0", "8.8.8.8"));
  assert.ok(within("1.2.3.4", "1.2.3.4"));
  assert.not.ok(within("1.2.3.4", "1.2.3.5"));
});

test("cidrContains: IPv6", () => {
  assert.ok(within("2001:db8::/32", "2001:db8:ffff::1"));
  assert.not.ok(within("2001:db8::/32", "2001:db9::1"));
  assert.ok(within("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1"));
  assert.not.ok(within("2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1"));
  assert.not.ok(within("2001:db8::/32", "10.0.0.1"));
  assert.not.ok(within("10.0.0.0/8", "2001:db8::1"));
});

test("cidrContains: IPv4-mapped clients match IPv4 rules and mapped IPv6 rules", () => {
  assert.ok(within("1.2.3.0/24", "::ffff:1.2.3.4"));
  assert.not.ok(within("1.2.3.0/24", "::ffff:1.2.4.4"));
  assert.ok(within("::ffff:1.2.3.0/120", "1.2.3.9"));
  assert.ok(within("::/0", "1.2.3.4"));
  assert.ok(within("::ffff:0:0/96", "::ffff:9.9.9.9"));
  assert.not.ok(within("2001:db8::/32", "::ffff:1.2.3.4"));
});

test.run();
