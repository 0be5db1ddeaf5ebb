import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { generateApiKey } from "../src/domain/auth/api-key.js";
import { codeOf } from "./support/security-fixtures.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const test = suite<{ db: TestDatabase }>("security: start-up of the real server process (secure by default)");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
});
test.after(async (ctx) => {
  await ctx.db.drop();
});

interface Started {
  child: ChildProcess;
  output: () => string;
  port: Promise<number>;
  exit: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const dir = tempDir();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH, PORT: "0", VELLUM_DATA_DIR: dir.path, VELLUM_JOB_CONCURRENCY: "0", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let out = "";
  let onPort: (p: number) => void;
  const port = new Promise<number>((r) => (onPort = r));
  child.stderr!.on("data", (d) => {
    out += d;
    const m = /"msg":"vellum listening".*?"port":(\d+)/.exec(out);
    if (m) onPort(Number(m[1]));
  });
  const exit = new Promise<number | null>((r) =>
    child.once("exit", (code) => {
      dir.remove();
      r(code);
    }),
  );
  return { child, output: () => out, port, exit };
}

test("without authentication the server refuses a non-loopback host (exit 2, no secret echoed)", async () => {
  const p = start({ VELLUM_HOST: "0.0.0.0" });
  assert.is(await p.exit, 2);
  assert.match(p.output(), /VELLUM_HOST must be a loopback address/);
  const q = start({ VELLUM_AUTH: "required", VELLUM_HOST: "0.0.0.0", VELLUM_SHARE_SECRET: "too-short-secret" });
  assert.is(await q.exit, 2);
  assert.not.ok(q.output().includes("too-short-secret"));
});

test("development mode: a warning at start-up, requests without credentials act as local admin", async (ctx) => {
  const p = start({ DATABASE_URL: ctx.db.url });
  try {
    const port = await Promise.race([p.port, p.exit.then(() => Promise.reject(new Error(p.output())))]);
    assert.match(p.output(), /"level":"warn","msg":"VELLUM_AUTH=none: requests without credentials act as a local admin/);
    const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    assert.is((await client.listSnapshots({ storeId: "any" })).totalSize, 0);
    const bad = await codeOf(client.listSnapshots({ storeId: "any" }, { headers: { "x-api-key": "vk_garbage" } }));
    assert.is(bad, Code.Unauthenticated, "a bad credential is never downgraded to the local admin");
  } finally {
    p.child.kill("SIGTERM");
    await p.exit;
  }
});

test("VELLUM_AUTH=required with VELLUM_ADMIN_KEY: the key works, anonymous calls fail, the secret is never logged", async (ctx) => {
  const admin = generateApiKey();
  const p = start({
    DATABASE_URL: ctx.db.url,
    VELLUM_AUTH: "required",
    VELLUM_ADMIN_KEY: admin.key,
    VELLUM_SHARE_SECRET: "a-share-secret-of-at-least-32-bytes!!",
  });
  try {
    const port = await Promise.race([p.port, p.exit.then(() => Promise.reject(new Error(p.output())))]);
    const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    assert.is(await codeOf(client.listSnapshots({ storeId: "s" })), Code.Unauthenticated);
    assert.is(await codeOf(client.listSnapshots({ storeId: "s" }, { headers: { "x-api-key": admin.key } })), 0);
    assert.match(p.output(), new RegExp(`"msg":"bootstrap admin key ready".*"keyId":"${admin.keyId}"`));
    assert.not.ok(p.output().includes(admin.secret), "the secret never appears in logs");
    assert.not.match(p.output(), /VELLUM_AUTH=none/);
  } finally {
    p.child.kill("SIGTERM");
    await p.exit;
  }
});

test.run();
