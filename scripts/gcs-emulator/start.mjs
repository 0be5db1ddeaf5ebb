#!/usr/bin/env node
/**
 * Starts the Cloud Storage emulator of firebase-tools (installed by install.ts into
 * `--install-dir`) on a loopback address, serving the GCS JSON API, without the firebase CLI.
 *
 * Why not `firebase emulators:start`: the CLI downloads a Java rules runtime first, which cannot
 * happen offline. The GCS JSON API only uses the emulator's admin storage layer, which never
 * consults security rules, so this script builds the express app (`createApp`) and listens
 * itself, skipping the rules runtime entirely.
 *
 * The emulator ignores preconditions. With --preconditions this script adds `ifGenerationMatch`
 * on uploads, as GCS does it: checked when a resumable session starts and again, atomically, when
 * the object is committed (commits of the same object are serialised); a failed check answers
 * 412 conditionNotMet. Only uploads naming the object in the query (`?name=`, as the Node SDK
 * does) are covered.
 *
 * With --log-requests every request is printed on stdout as
 * `GCS_REQUEST <METHOD> <URL> range=<Range header>`, and `GET /__vellum/log-marker/<id>` prints
 * `GCS_LOG_MARKER <id>` (everything printed before it belongs to earlier requests).
 *
 * Usage: node scripts/gcs-emulator/start.mjs --install-dir DIR [--host 127.0.0.1] [--port 0]
 *          [--exit-with-stdin] [--preconditions] [--log-requests]
 *   Prints `GCS_EMULATOR_READY http://HOST:PORT` on stdout once listening (port 0 picks a free
 *   port). Stops on SIGTERM/SIGINT, and with --exit-with-stdin also when stdin closes (so a child
 *   dies with the parent that spawned it). Objects live in memory and in a fresh temp directory
 *   that is removed on stop. Buckets need no creating: any request naming a bucket creates it.
 *   Data is not persisted across restarts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "install-dir": { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    "exit-with-stdin": { type: "boolean", default: false },
    preconditions: { type: "boolean", default: false },
    "log-requests": { type: "boolean", default: false },
  },
});
if (!values["install-dir"]) {
  console.error("start.mjs: --install-dir is required");
  process.exit(2);
}
const host = values.host;
if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host)) {
  console.error(`start.mjs: refusing to listen on non-loopback host ${host}`);
  process.exit(2);
}

const require = createRequire(join(resolve(values["install-dir"]), "package.json"));
const storageDir = "firebase-tools/lib/emulator/storage";
const { StorageEmulator } = require(`${storageDir}/index.js`);
const { createApp } = require(`${storageDir}/server.js`);
const { EmulatorRegistry } = require("firebase-tools/lib/emulator/registry.js");
const { createDestroyer } = require("firebase-tools/lib/utils.js");
const express = createRequire(require.resolve("firebase-tools/package.json"))("express");

// The emulator keeps its blobs under os.tmpdir(): point that at a directory of our own.
const dataDir = mkdtempSync(join(tmpdir(), "vellum-gcs-emulator-"));
process.env.TMPDIR = dataDir;

const projectId = "demo-vellum";
/** How long an idle client connection is kept open (see where the server is created). */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
const emulator = new StorageEmulator({ projectId, host, port: Number(values.port), rules: [], auto_download: false });
const storageApp = await createApp(projectId, emulator);
const app = express();
if (values["log-requests"]) {
  // A marker request lets a reader of stdout know that every earlier request has been printed.
  app.get("/__vellum/log-marker/:id", (req, res) => {
    process.stdout.write(`GCS_LOG_MARKER ${req.params.id}\n`);
    res.sendStatus(204);
  });
  app.use((req, _res, next) => {
    process.stdout.write(`GCS_REQUEST ${req.method} ${req.originalUrl} range=${req.headers.range ?? ""}\n`);
    next();
  });
}
if (values.preconditions) app.use(preconditions(emulator));
app.use(storageApp);
const server = app.listen(Number(values.port), host);
// Idle keep-alive connections stay open for minutes, as on GCS. With Node's 5 s default the server
// closes sockets the client is about to reuse, and on a loaded machine a request then meets a
// reset connection (simple uploads are not retried by the SDK): a timing-dependent failure.
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
const destroy = createDestroyer(server);
await new Promise((ok, fail) => {
  server.once("listening", ok);
  server.once("error", fail);
});
const { port } = server.address();
// Object and bucket metadata build their selfLink/mediaLink from the registry's host and port.
emulator.args.port = port;
EmulatorRegistry.set(emulator.getName(), emulator);
const shown = host.includes(":") ? `[${host}]` : host;
process.stdout.write(`GCS_EMULATOR_READY http://${shown}:${port}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await destroy().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (values["exit-with-stdin"]) {
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
}

/** Express middleware adding ifGenerationMatch to uploads (see the header comment). */
function preconditions(emulator) {
  const sessions = new Map(); // upload_id -> { name, cond }
  const locks = new Map(); // "bucket/name" -> tail of the commit queue
  const generation = (bucket, name) => {
    const md = emulator.adminStorageLayer.getMetadata(bucket, name);
    return md ? Number(md.generation) : 0;
  };
  const holds = (bucket, name, cond) => cond === undefined || generation(bucket, name) === Number(cond);
  const conditionNotMet = (req, res) => {
    const send = () => {
      const message = "At least one of the pre-conditions you specified did not hold.";
      res.status(412).json({ error: { code: 412, message, errors: [{ reason: "conditionNotMet", message }] } });
    };
    req.on("end", send);
    req.resume();
  };
  const commit = (bucket, name, cond, req, res, next) => {
    const id = `${bucket}/${name}`;
    const prev = locks.get(id) ?? Promise.resolve();
    let release;
    const mine = new Promise((r) => (release = r));
    const tail = prev.then(() => mine);
    locks.set(id, tail);
    prev.then(() => {
      res.once("close", () => {
        release();
        if (locks.get(id) === tail) locks.delete(id);
      });
      if (!holds(bucket, name, cond)) return conditionNotMet(req, res);
      next();
    });
  };
  return (req, res, next) => {
    const m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(req.path);
    const name = typeof req.query.name === "string" ? req.query.name.replace(/^\//, "") : undefined;
    if (!m || name === undefined) return next();
    const bucket = decodeURIComponent(m[1]);
    const cond = typeof req.query.ifGenerationMatch === "string" ? req.query.ifGenerationMatch : undefined;
    if (req.method === "POST" && (req.query.uploadType ?? req.header("X-Goog-Upload-Protocol")) === "resumable" && !req.query.upload_id) {
      if (cond === undefined) return next();
      if (!holds(bucket, name, cond)) return conditionNotMet(req, res);
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (header, value) => {
        if (String(header).toLowerCase() === "location") {
          const uploadId = new URL(String(value)).searchParams.get("upload_id");
          if (uploadId) sessions.set(uploadId, { name, cond });
        }
        return setHeader(header, value);
      };
      return next();
    }
    if (req.method === "PUT" && typeof req.query.upload_id === "string") {
      const session = sessions.get(req.query.upload_id); // kept: a retried PUT carries the same condition
      return commit(bucket, session?.name ?? name, session?.cond, req, res, next);
    }
    if (req.method === "POST") return commit(bucket, name, cond, req, res, next);
    next();
  };
}
