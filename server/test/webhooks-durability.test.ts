import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { WebhookService } from "../../gen/vellum/v1/webhook_service_pb.js";
import { startReceiver } from "./support/receiver-process.js";
import { startServerProcess } from "./support/server-process.js";
import { createTestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

test("the server is killed between commit and delivery (and mid-attempt): after a restart no event is lost", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const rx = await startReceiver();
  const env = {
    DATABASE_URL: db.url,
    VELLUM_DATA_DIR: dir.path,
    VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    VELLUM_WEBHOOK_TIMEOUT_MS: "1000",
    VELLUM_WEBHOOK_RETRY_BASE_MS: "100",
  };
  try {
    await rx.control({ mode: "stall" });
    // One attempt at a time: one delivery is mid-attempt when the kill comes, the others wait.
    const p1 = await startServerProcess({ ...env, VELLUM_WEBHOOK_CONCURRENCY: "1" });
    const transport = (port: number) => createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
    const { secret } = await createClient(WebhookService, transport(p1.port)).createWebhook({ storeId: "crash", url: rx.url, active: true });
    const snaps = createClient(SnapshotService, transport(p1.port));
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await snaps.createSnapshot({ storeId: "crash", resourceType: "doc", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from(`v${i}`) } });
      made.push(s.snapshot!.snapshotId);
    }
    // Attempts are in flight against the stalled receiver; the rest is committed but undelivered.
    await rx.until((r) => r.length >= 1);
    p1.child.kill("SIGKILL");
    await p1.exited;
    await rx.control({ mode: "ok", secrets: [secret] });

    const p2 = await startServerProcess(env);
    try {
      const got = await rx.until((r) => new Set(r.filter((x) => x.status === 204).map((x) => x.headers["webhook-id"])).size >= made.length, 40_000);
      const delivered = got.filter((x) => x.status === 204);
      assert.ok(delivered.every((x) => x.verified[0]), "signed");
      const snapshotIds = new Set(delivered.map((x) => JSON.parse(x.body).snapshotId as string));
      assert.equal([...snapshotIds].sort(), [...made].sort(), "every committed event delivered");
    } finally {
      p2.child.kill("SIGTERM");
      await p2.exited;
    }
  } finally {
    await rx.stop();
    await db.drop();
    dir.remove();
  }
});

test("a webhook reactivated before any dispatcher saw the events of while it was off gets none of them", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const rx = await startReceiver();
  const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1" };
  try {
    // No dispatcher in this process: nothing fans out until the second process starts.
    const api = await startServerProcess({ ...env, VELLUM_WEBHOOK_CONCURRENCY: "0" });
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${api.port}` });
    const hooks = createClient(WebhookService, transport);
    const snaps = createClient(SnapshotService, transport);
    const put = async (v: string) =>
      (await snaps.createSnapshot({ storeId: "react", resourceType: "doc", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from(v) } })).snapshot!.snapshotId;
    const { webhook, secret } = await hooks.createWebhook({ storeId: "react", url: rx.url, active: false });
    await rx.control({ mode: "ok", secrets: [secret] });
    await put("while off");
    await hooks.updateWebhook({ storeId: "react", webhook: { webhookId: webhook!.webhookId, active: true }, updateMask: { paths: ["active"] } });
    const after = await put("after");
    const dispatcher = await startServerProcess(env);
    try {
      await rx.until((r) => r.length >= 1, 20_000);
      await new Promise((r) => setTimeout(r, 1500)); // a later pass would have fanned out the rest
      assert.equal((await rx.received()).map((r) => JSON.parse(r.body).snapshotId), [after], "only the event after the reactivation");
    } finally {
      dispatcher.child.kill("SIGTERM");
      await dispatcher.exited;
      api.child.kill("SIGTERM");
      await api.exited;
    }
  } finally {
    await rx.stop();
    await db.drop();
    dir.remove();
  }
});

test.run();
