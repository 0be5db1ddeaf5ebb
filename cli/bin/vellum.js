#!/usr/bin/env node
// The `vellum` command: runs the compiled CLI (cli/dist, built by `npm run build`). A committed
// launcher, so npm links the command even before the first build.
try {
  await import("../dist/bin.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist/bin.js")) throw err;
  console.error("vellum: the CLI is not built yet: run `npm run build` in the Vellum repository");
  process.exitCode = 1;
}
