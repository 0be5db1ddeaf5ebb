/**
 * `npm run build:server` (also run before `npm start` and `npm run migrate`): the production server
 * as JavaScript in dist/. Every module under server/src, gen/ and sdk/src (tests and test support
 * left out) is transpiled one to one by esbuild into the same layout, so relative imports, the
 * worker file `content-workers.ts` resolves beside itself, and the migrations folder (copied to
 * dist/server/migrations) resolve as they do from the sources. It does not type-check
 * (`npm run typecheck` does). Plain JavaScript, so any supported Node runs it without a loader.
 *
 * In a production install without dev dependencies (no esbuild), an existing dist/ is kept as it is.
 */
import { cpSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dist");
const SOURCES = ["server/src", "gen", "sdk/src"];

/** @param {string} dir @returns {Generator<string>} */
function* modules(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "testing" && name !== "node_modules") yield* modules(path);
    } else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) {
      yield path;
    }
  }
}

const started = performance.now();
const esbuild = await import("esbuild").catch(() => undefined);
if (!esbuild) {
  if (!existsSync(join(out, "server/src/main.js"))) {
    console.error("vellum build: esbuild (a dev dependency) is not installed and dist/ is missing: run `npm ci` with dev dependencies, then `npm run build`");
    process.exit(1);
  }
  console.log("vellum build: esbuild is not installed (production install): using the existing dist/");
  process.exit(0);
}
for (const dir of [...SOURCES, "server/migrations"]) rmSync(join(out, dir), { recursive: true, force: true });
const entryPoints = SOURCES.flatMap((dir) => [...modules(join(root, dir))]);
await esbuild.build({
  entryPoints,
  outdir: out,
  outbase: root,
  bundle: false,
  platform: "node",
  format: "esm",
  target: "node22",
  sourcemap: "linked",
  logLevel: "warning",
});
cpSync(join(root, "server/migrations"), join(out, "server/migrations"), { recursive: true });
console.log(`built ${entryPoints.length} modules into ${relative(process.cwd(), out) || "."}/ in ${Math.round(performance.now() - started)} ms`);
