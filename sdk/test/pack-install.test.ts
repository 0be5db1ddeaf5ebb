/**
 * @vellum/sdk as a user gets it: `npm pack` of the workspace, installed from the tarball into a
 * scratch project outside the repository (dependencies from the npm cache, else the registry), then
 * used from plain Node ESM against the real server, type-checked under --strict with
 * moduleResolution bundler and node16 (and the browser entry without Node's types), and bundled
 * for the browser with esbuild and run in headless Chromium over Connect-Web.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildSdkAndCli } from "../../scripts/build-once.js";
import { CHROMIUM_ARGS, ensureChromium } from "../../scripts/chromium.js";
import { npm, REPO_ROOT } from "../../scripts/npm.js";
import { startSdkServer, type SdkServer } from "./support/sdk-server.js";

const CONSUMER = join(REPO_ROOT, "sdk/test/consumer");
const TSC = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
const LOCK = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
/** The transports and Node types at the versions this repository locks, so the npm cache has them. */
const EXTRAS = ["@connectrpc/connect-node", "@connectrpc/connect-web", "@types/node"].map((p) => `${p}@${LOCK.packages[`node_modules/${p}`].version}`);

interface Ctx {
  scratch: string;
  tarball: string;
  srv: SdkServer;
  pages: http.Server;
  pageOrigin: string;
}

const test = suite<Ctx>("@vellum/sdk packed and installed outside the repository", {} as Ctx);

test.before(async (ctx) => {
  ctx.scratch = mkdtempSync(join(tmpdir(), "vellum-consumer-"));
  // The build prepack runs, under the lock other suites build with (they run the CLI on sdk/dist).
  buildSdkAndCli();
  copyFileSync(join(REPO_ROOT, "LICENSE"), join(REPO_ROOT, "sdk/LICENSE"));
  const packed = JSON.parse(npm(["pack", "--workspace", "sdk", "--ignore-scripts", "--json", "--pack-destination", ctx.scratch])) as { filename: string }[];
  ctx.tarball = join(ctx.scratch, packed[0].filename);
  writeFileSync(join(ctx.scratch, "package.json"), JSON.stringify({ name: "vellum-consumer", private: true, type: "module" }));
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", ctx.tarball, ...EXTRAS], { cwd: ctx.scratch });
  for (const f of ["smoke.mjs", "typed.ts", "browser.ts"]) copyFileSync(join(CONSUMER, f), join(ctx.scratch, f));
  ctx.pages = http.createServer();
  await new Promise<void>((r) => ctx.pages.listen(0, "127.0.0.1", r));
  ctx.pageOrigin = `http://127.0.0.1:${(ctx.pages.address() as net.AddressInfo).port}`;
  ctx.srv = await startSdkServer({ corsOrigins: [ctx.pageOrigin] });
});

test.after(async (ctx) => {
  await ctx.srv?.close();
  ctx.pages?.closeAllConnections();
  await new Promise((r) => (ctx.pages ? ctx.pages.close(r) : r(undefined)));
  if (ctx.scratch) rmSync(ctx.scratch, { recursive: true, force: true });
});

test("the tarball holds compiled JavaScript, declarations, the generated code, README and LICENSE, and depends on protobuf and connect only", (ctx) => {
  const files = execFileSync("tar", ["-tzf", ctx.tarball], { encoding: "utf8" }).trim().split("\n");
  for (const f of ["package/dist/sdk/src/index.js", "package/dist/sdk/src/index.d.ts", "package/dist/sdk/src/node.js", "package/dist/gen/vellum/v1/snapshot_service_pb.js", "package/README.md", "package/LICENSE"]) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  assert.equal(files.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")), [], "no TypeScript sources");
  assert.equal(files.filter((f) => /test/.test(f)), [], "no tests");
  const pkg = JSON.parse(readFileSync(join(ctx.scratch, "node_modules/@vellum/sdk/package.json"), "utf8"));
  assert.equal(Object.keys(pkg.dependencies).sort(), ["@bufbuild/protobuf", "@connectrpc/connect"]);
  assert.equal(Object.keys(pkg.peerDependencies).sort(), ["@connectrpc/connect-node", "@connectrpc/connect-web"]);
  assert.is(pkg.license, "Apache-2.0");
});

test("plain node runs an ESM script against the server: create, upload, download verified, list", async (ctx) => {
  // Asynchronously: the server runs in this process.
  const { stdout } = await promisify(execFile)(process.execPath, ["smoke.mjs", ctx.srv.baseUrl, ctx.scratch], { cwd: ctx.scratch, encoding: "utf8" });
  const r = JSON.parse(stdout.trim()) as { doc: string; version: number; uploaded: string; same: boolean; listed: string[] };
  assert.is(r.version, 1);
  assert.ok(r.same, "the downloaded file equals the uploaded one");
  assert.equal(r.listed, [r.uploaded, r.doc]);
});

for (const [resolution, module] of [["bundler", "esnext"], ["node16", "node16"]] as const) {
  test(`tsc --noEmit --strict accepts the TypeScript consumer with moduleResolution ${resolution}`, (ctx) => {
    const config = join(ctx.scratch, `tsconfig.${resolution}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: "es2022", module, moduleResolution: resolution, types: ["node"], skipLibCheck: false }, files: ["typed.ts"] }));
    execFileSync(process.execPath, [TSC, "-p", config], { cwd: ctx.scratch, encoding: "utf8" });
  });
}

test("the browser entry type-checks without Node's types", (ctx) => {
  const config = join(ctx.scratch, "tsconfig.browser.json");
  writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom", "dom.iterable"], types: [] }, files: ["browser.ts"] }));
  execFileSync(process.execPath, [TSC, "-p", config], { cwd: ctx.scratch, encoding: "utf8" });
});

test("an esbuild browser bundle of the installed package runs in headless Chromium over Connect-Web", async (ctx) => {
  const out = await build({ entryPoints: [join(ctx.scratch, "browser.ts")], bundle: true, minify: true, format: "iife", platform: "browser", target: "es2022", write: false, metafile: true, logLevel: "silent" });
  const bundle = out.outputFiles[0].contents;
  const inputs = Object.keys(out.metafile.inputs);
  assert.ok(inputs.some((f) => f.includes("node_modules/@vellum/sdk/dist/")), "bundled from the installed package");
  assert.not.ok(inputs.some((f) => f.startsWith("node:") || f.includes("connect-node")), "no Node modules");
  console.log(`  browser bundle (SDK + connect-web, minified): ${bundle.length} bytes, ${gzipSync(bundle, { level: 9 }).length} bytes gzipped`);

  ctx.pages.on("request", (req, res) => {
    if (req.url === "/bundle.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/bundle.js"></script>');
  });
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${ctx.pageOrigin}/`);
    const r = await page.evaluate(
      ([u, s]) => (globalThis as unknown as { vellumConsumer: { run(u: string, s: string): Promise<{ id: string; listed: string[]; text: string }> } }).vellumConsumer.run(u, s),
      [ctx.srv.baseUrl, "browser-consumer"],
    );
    assert.equal(r.listed, [r.id]);
    assert.equal(JSON.parse(r.text), { title: "Hallo ü" });
    assert.equal(problems, []);
  } finally {
    await browser.close();
  }
});

test.run();
