/**
 * The SDK's browser entry in headless Chromium (Debian's /usr/bin/chromium via playwright-core)
 * against the real server with CORS: the entry plus @connectrpc/connect-web is bundled with esbuild
 * for the browser platform (which fails on any Node import), served from a second loopback origin,
 * and exercised over Connect (JSON; binary with GET) and gRPC-Web.
 */
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Code, createVellumClient, downloadSnapshotBytes } from "../src/index.js";
import { BLOB_SIZE, type Scenario, type TransportKind } from "./browser/scenario.js";
import { CHROMIUM_ARGS, ensureChromium } from "../../scripts/chromium.js";
import { patternBytes } from "./support/pattern.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const KINDS: TransportKind[] = ["connect-json", "connect-binary-get", "grpc-web"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Ctx {
  bundle: string;
  inputs: string[];
  pages: http.Server;
  pageOrigin: string;
  srv: SdkServer;
  browser: Browser;
}

const test = suite<Ctx>("sdk in headless Chromium (connect-web, CORS, real server)", {} as Ctx);

test.before(async (ctx) => {
  const out = await build({
    entryPoints: [join(ROOT, "sdk/test/browser/scenario.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  ctx.bundle = out.outputFiles[0].text;
  ctx.inputs = Object.keys(out.metafile.inputs);
  const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>vellum sdk</title><script src="/bundle.js"></script>';
  ctx.pages = http.createServer((req, res) => {
    if (req.url === "/bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(ctx.bundle);
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => ctx.pages.listen(0, "127.0.0.1", r));
  const pagePort = (ctx.pages.address() as net.AddressInfo).port;
  ctx.pageOrigin = `http://127.0.0.1:${pagePort}`;
  ctx.srv = await startSdkServer({ corsOrigins: [ctx.pageOrigin] });
  ctx.browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.srv?.close();
  ctx.pages?.closeAllConnections();
  await new Promise((r) => (ctx.pages ? ctx.pages.close(r) : r(undefined)));
});

/** Opens the page at `origin` and records console errors/warnings, page errors and request URLs. */
async function open(ctx: Ctx, origin = ctx.pageOrigin): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await ctx.browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("request", (r) => requests.push(`${r.method()} ${r.url()}`));
  await page.goto(`${origin}/`, { waitUntil: "load" });
  return { page, problems, requests };
}

const scenario = (page: Page) => ({
  run: (baseUrl: string, kind: TransportKind, storeId: string) =>
    page.evaluate(([u, k, s]) => (globalThis as unknown as { vellumScenario: Scenario }).vellumScenario.run(u, k as TransportKind, s), [baseUrl, kind, storeId]),
  errors: (baseUrl: string, kind: TransportKind, storeId: string) =>
    page.evaluate(([u, k, s]) => (globalThis as unknown as { vellumScenario: Scenario }).vellumScenario.errors(u, k as TransportKind, s), [baseUrl, kind, storeId]),
  watch: (baseUrl: string, kind: TransportKind, storeId: string, count: number) =>
    page.evaluate(([u, k, s, n]) => (globalThis as unknown as { vellumScenario: Scenario }).vellumScenario.watch(u as string, k as TransportKind, s as string, n as number), [baseUrl, kind, storeId, count] as const),
  probe: (baseUrl: string, kind: TransportKind, storeId: string) =>
    page.evaluate(([u, k, s]) => (globalThis as unknown as { vellumScenario: Scenario }).vellumScenario.probe(u, k as TransportKind, s), [baseUrl, kind, storeId]),
});

test("the browser bundle contains no Node modules, Buffer or process", (ctx) => {
  assert.not.ok(ctx.inputs.some((f) => f.startsWith("node:") || f.includes("connect-node")), ctx.inputs.join("\n"));
  const sdkFiles = ctx.inputs.filter((f) => f.startsWith("sdk/src/"));
  assert.ok(sdkFiles.includes("sdk/src/index.ts"));
  for (const f of sdkFiles) {
    const code = readFileSync(join(ROOT, f), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.not.match(code, /\bBuffer\b|\bprocess\.|from "node:/, f);
  }
});

for (const kind of KINDS) {
  test(`${kind}: JSON snapshot, list, blob via CreateSnapshot, streamed and ranged downloads, no console errors`, async (ctx) => {
    const { page, problems, requests } = await open(ctx);
    try {
      const storeId = `browser-${kind}`;
      const r = await scenario(page).run(ctx.srv.baseUrl, kind, storeId);
      assert.is(r.jsonVersion, 1);
      assert.equal(JSON.parse(r.jsonText), { sku: "A-1", name: "Stuhl ü", price: 12.5 });
      assert.equal(r.listed, [r.jsonId]);
      const expected = patternBytes(BLOB_SIZE, 7);
      const sha = createHash("sha256").update(expected).digest("hex");
      assert.is(r.blobSha256, sha);
      assert.ok(r.streamedMessages >= 2, "more than one download message");
      assert.ok(r.streamedEqual, "streamed bytes equal the uploaded ones");
      assert.is(r.streamedSha256, sha);
      assert.ok(r.verifiedEqual);
      assert.ok(r.rangeEqual);
      assert.equal(r.uploadError && { name: r.uploadError.name, code: r.uploadError.code }, { name: "UnsupportedTransportError", code: Code.Unimplemented });
      assert.is(r.sourceRead, false, "the upload failed before reading the source");
      // What the page made, Node reads back identically.
      const node = createVellumClient(NODE_TRANSPORTS[0].make(ctx.srv.baseUrl));
      const back = await downloadSnapshotBytes(node, { storeId, snapshotId: r.blobId });
      assert.ok(Buffer.from(back.bytes).equals(Buffer.from(expected)));
      if (kind === "connect-binary-get") assert.ok(requests.some((q) => q.startsWith("GET ") && q.includes("/ListSnapshots?")), "unary reads used GET");
      assert.equal(problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${kind}: typed errors carry codes, field violations and the request id`, async (ctx) => {
    const { page, problems } = await open(ctx);
    try {
      const e = await scenario(page).errors(ctx.srv.baseUrl, kind, `browser-err-${kind}`);
      assert.is(e.notFound?.name, "VellumError");
      assert.is(e.notFound?.code, Code.NotFound);
      assert.match(e.notFound?.requestId ?? "", UUID);
      assert.is(e.invalid?.code, Code.InvalidArgument);
      assert.equal(e.invalid?.fields, ["resource_type", "store_id"]);
      assert.match(e.invalid?.requestId ?? "", UUID);
      assert.is(e.streamNotFound?.code, Code.NotFound);
      assert.match(e.streamNotFound?.requestId ?? "", UUID);
      // Connect maps error codes to HTTP statuses, which Chromium logs as failed resource loads;
      // gRPC-Web answers 200. Nothing else may appear.
      const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of 40[04]/.test(p));
      assert.equal(unexpected, []);
      if (kind === "grpc-web") assert.equal(problems, []);
    } finally {
      await page.close();
    }
  });
}

for (const kind of ["connect-json", "grpc-web"] as const) {
  test(`${kind}: watchEvents streams live events into the page`, async (ctx) => {
    const { page, problems } = await open(ctx);
    try {
      const r = await scenario(page).watch(ctx.srv.baseUrl, kind, `browser-watch-${kind}`, 5);
      assert.is(r.made.length, 5);
      assert.equal(r.seen, r.made);
      assert.equal(problems, []);
    } finally {
      await page.close();
    }
  });
}

test("a page from an origin that is not allowed is refused by the browser", async (ctx) => {
  const port = new URL(ctx.pageOrigin).port;
  const { page, problems } = await open(ctx, `http://localhost:${port}`);
  try {
    const r = await scenario(page).probe(ctx.srv.baseUrl, "connect-json", "browser-cors");
    assert.is(r.ok, false);
    assert.is(r.ok === false && r.error.name, "VellumError");
    assert.ok(problems.some((p) => /CORS/.test(p)), problems.join("\n"));
  } finally {
    await page.close();
  }
});

test.run();
