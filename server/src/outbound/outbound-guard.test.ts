import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../domain/errors.js";
import { isForbiddenAddress } from "./address-policy.js";
import { createOutboundGuard, type Resolver } from "./outbound-guard.js";

const stub = (table: Record<string, string[]>): Resolver => async (host) => {
  const addrs = table[host];
  if (!addrs) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
  return addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

test("forbidden ranges: loopback, private, link-local (metadata), CGNAT, ULA, mapped and NAT64 forms", () => {
  for (const ip of [
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1",
    "::ffff:7f00:1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "[::1]", "ff02::1", "not-an-ip",
  ]) {
    assert.ok(isForbiddenAddress(ip), ip);
  }
  for (const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001::200e"]) {
    assert.not.ok(isForbiddenAddress(ip), ip);
  }
});

test("checkUrl refuses private destinations however the host is written, and bad URLs, as INVALID_ARGUMENT", async () => {
  const guard = createOutboundGuard({ allowHosts: [], resolve: stub({ "public.example": ["93.184.216.34"], "internal.example": ["10.0.0.7"], "mixed.example": ["93.184.216.34", "127.0.0.1"] }) });
  for (const url of [
    "http://127.0.0.1/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://[::1]:8080/", "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/", "https://internal.example/hook", "https://mixed.example/", "ftp://public.example/",
    "file:///etc/passwd", "https://user:pw@public.example/", "not a url", "https://nowhere.invalid/", "gopher://public.example/",
  ]) {
    try {
      await guard.checkUrl(url, "url");
      assert.unreachable(url);
    } catch (err) {
      assert.ok(isDomainError(err, "InvalidArgument"), `${url}: ${String(err)}`);
    }
  }
  assert.is((await guard.checkUrl("https://public.example/hook", "url")).hostname, "public.example");
});

test("property: no generated private IPv4 address, in any URL spelling, passes checkUrl", async () => {
  const guard = createOutboundGuard({ allowHosts: [], resolve: stub({}) });
  const privateV4 = fc.oneof(
    fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
  );
  const spell = (o: number[], how: number) => {
    const n = ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
    switch (how) {
      case 0: return o.join(".");
      case 1: return String(n);
      case 2: return `0x${n.toString(16)}`;
      case 3: return o.map((x) => `0${x.toString(8)}`).join(".");
      case 4: return `[::ffff:${o.join(".")}]`;
      default: return `[::ffff:${((o[0] << 8) + o[1]).toString(16)}:${((o[2] << 8) + o[3]).toString(16)}]`;
    }
  };
  await fc.assert(
    fc.asyncProperty(privateV4, fc.integer({ min: 0, max: 5 }), fc.constantFrom("http", "https"), fc.webPath(), async (o, how, scheme, path) => {
      const url = `${scheme}://${spell(o, how)}${path}`;
      try {
        await guard.checkUrl(url, "url");
        return false;
      } catch (err) {
        return isDomainError(err, "InvalidArgument");
      }
    }),
    { numRuns: 2000 },
  );
});

async function countingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((_req, res) => res.end("ok"));
  server.on("connection", () => n++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => n };
}

const fetchWith = (url: string, lookup: ReturnType<typeof createOutboundGuard>["lookup"]) =>
  new Promise<string>((resolve, reject) => {
    get(url, { lookup }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });

test("DNS rebinding: a name that resolved public at registration and private at connect time is never connected", async () => {
  const { server, port, connections } = await countingServer();
  let calls = 0;
  const rebinding: Resolver = async () => [{ address: calls++ === 0 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
  const guard = createOutboundGuard({ allowHosts: [], resolve: rebinding });
  try {
    await guard.checkUrl(`http://rebind.example:${port}/`, "url");
    const err = await fetchWith(`http://rebind.example:${port}/`, guard.lookup).then(() => undefined, (e: Error & { code?: string }) => e);
    assert.ok(err, "the request must fail");
    assert.is(err!.code, "EOUTBOUNDREFUSED");
    assert.is(connections(), 0);
  } finally {
    server.close();
  }
});

test("an allowlisted host is reached on loopback; the connection uses the checked address", async () => {
  const { server, port, connections } = await countingServer();
  const guard = createOutboundGuard({ allowHosts: ["receiver.test"], resolve: stub({ "receiver.test": ["127.0.0.1"] }) });
  try {
    await guard.checkUrl(`http://receiver.test:${port}/`, "url");
    assert.is(await fetchWith(`http://receiver.test:${port}/`, guard.lookup), "ok");
    assert.is(connections(), 1);
    const literal = createOutboundGuard({ allowHosts: ["127.0.0.1"] });
    assert.is(await fetchWith(`http://127.0.0.1:${port}/`, literal.lookup), "ok");
  } finally {
    server.close();
  }
});

test.run();
