#!/usr/bin/env node
// The `vellum` command: runs the compiled CLI (cli/dist, built by `npm run build`). A committed
// launcher, so npm links the command even before the first build. It first restarts itself once,
// in place (same pid and streams), under the memory settings of cli/src/runtime.ts; where Node
// cannot (no process.execve, or a permission model that refuses it) it runs as it is.
try {
  const { tunedRelaunch } = await import("../dist/runtime.js");
  const relaunch = tunedRelaunch(process);
  if (relaunch) {
    try {
      process.execve(...relaunch);
    } catch {
      // refused (--permission without child-process rights): run untuned
    }
  }
  await import("../dist/bin.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("/dist/")) throw err;
  console.error("vellum: the CLI is not built yet: run `npm run build` in the Vellum repository");
  process.exitCode = 1;
}
