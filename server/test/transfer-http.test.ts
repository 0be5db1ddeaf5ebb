import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { startNodeProcess, type NodeProcess } from "./support/server-process.js";
import { download, portable, succeeded, transferOf, uploadRich, waitForJob } from "./transfer-helpers.js";

interface Ctx {
  h: MemoryHarness;
  receiver: NodeProcess;
  base: string;
}
const test = suite<Ctx>("transfer over HTTP: a signed PUT to a receiver process, URL import, notify webhook, cancel mid-export");
const SECRET = "receiver-shared-secret-0123456789";

/** Resolves once the receiver has logged a line matching `re`. */
async function logged(p: NodeProcess, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const line = p.logs.find((l) => re.test(l));
    if (line) return line;
    if (Date.now() > end) throw new Error(`receiver never logged ${re}: ${p.logs.join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.before(async (ctx) => {
  ctx.receiver = await startNodeProcess(join(import.meta.dirname, "support", "archive-receiver.ts"), { RECEIVER_SECRET: SECRET }, "ready");
  const port = /ready (\d+)/.exec(ctx.receiver.logs.find((l) => l.startsWith("ready"))!)![1];
  ctx.base = `http://127.0.0.1:${port}`;
  ctx.h = await createMemoryHarness(undefined, { VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1" });
});
test.after(async (ctx) => {
  await ctx.h?.close();
  ctx.receiver?.child.kill();
  await ctx.receiver?.exited;
});

test("signed PUT export, notify webhook, then import from the URL: same bytes and metadata", async ({ h, receiver, base }) => {
  const content = randomBytes(1024 * 1024 + 5);
  const src = await uploadRich(h, "src", content);
  const exp = await transferOf(h).exportSnapshot({
    storeId: "src",
    snapshotId: src.snapshotId,
    destination: `${base}/store/a1?token=not-for-logs`,
    signingSecret: Buffer.from(SECRET),
    notifyWebhook: `${base}/notify`,
  });
  const done = await succeeded(h, "src", exp.job);
  assert.is(done.result!.details!.location, `${base}/store/a1`, "no query string in the location");
  assert.match(await logged(receiver, /^put a1 /), /sig=ok/);
  const note = JSON.parse((await logged(receiver, /^notify /)).slice("notify ".length));
  assert.is(note.job_id, done.jobId);
  assert.is(note.state, "SUCCEEDED");
  assert.not.match(JSON.stringify(done, (_k, v) => (typeof v === "bigint" ? String(v) : v)), /not-for-logs/, "the job shows no credentials");

  const imp = await transferOf(h).importSnapshot({ storeId: "dst", source: `${base}/store/a1`, resourceId: "home-copy" });
  const imported = await succeeded(h, "dst", imp.job);
  const { snapshot, bytes } = await download(h, "dst", imported.result!.snapshotId);
  assert.ok(bytes.equals(content));
  assert.equal(portable(snapshot), { ...portable(src), resourceId: "home-copy" });
});

test("a receiver that refuses the signature fails the job at once (FAILED_PRECONDITION)", async ({ h, base }) => {
  const src = await uploadRich(h, "src", randomBytes(5000));
  const exp = await transferOf(h).exportSnapshot({
    storeId: "src",
    snapshotId: src.snapshotId,
    destination: `${base}/store/a2`,
    signingSecret: Buffer.from("some-other-secret-that-is-wrong"),
  });
  const done = await waitForJob(h, "src", exp.job!.jobId);
  assert.is(done.state, JobState.FAILED);
  assert.is(done.errors[0].code, "FAILED_PRECONDITION");
  assert.match(done.errors[0].message, /401/);
  assert.is(done.attempts, 1);
});

test("cancel mid-export: a stalled receiver's upload is cut and the job ends CANCELLED within seconds", async ({ h, receiver, base }) => {
  const src = await uploadRich(h, "src", randomBytes(24 * 1024 * 1024));
  const exp = await transferOf(h).exportSnapshot({ storeId: "src", snapshotId: src.snapshotId, destination: `${base}/stall/big` });
  await logged(receiver, /^stall-start$/);
  const started = Date.now();
  await h.jobs.cancelJob({ storeId: "src", jobId: exp.job!.jobId });
  const done = await waitForJob(h, "src", exp.job!.jobId);
  assert.is(done.state, JobState.CANCELLED);
  assert.ok(Date.now() - started < 10_000, `cancelled after ${Date.now() - started} ms`);
  await logged(receiver, /^stall-closed$/);
  assert.not.ok(receiver.logs.includes("stall-complete"), "the upload was cut, not finished");
});

test.run();
