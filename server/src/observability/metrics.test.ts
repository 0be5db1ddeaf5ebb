import { Code } from "@connectrpc/connect";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createMetrics } from "./metrics.js";

const line = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));

test("each app has its own registry: two sets of metrics in one process neither collide nor share counts", async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.method("vellum.v1.SnapshotService", "GetSnapshot").finished(undefined, 0.01);
  const textA = await a.registry.metrics();
  const textB = await b.registry.metrics();
  assert.is(line(textA, 'vellum_rpc_handled_total{service="vellum.v1.SnapshotService",method="GetSnapshot",code="ok"}'), 'vellum_rpc_handled_total{service="vellum.v1.SnapshotService",method="GetSnapshot",code="ok"} 1');
  assert.is(line(textB, "vellum_rpc_handled_total{"), undefined);
  assert.ok(line(textB, "process_cpu_user_seconds_total"));
});

test("codes are labelled as Connect spells them; a method's meter is one object, counted across calls", async () => {
  const m = createMetrics();
  const meter = m.method("s.S", "M");
  assert.is(m.method("s.S", "M"), meter);
  meter.finished(Code.NotFound, 0.002);
  meter.finished(Code.NotFound, 0.004);
  meter.finished(Code.Unauthenticated, 0.001);
  meter.receivedBytes += 10;
  meter.sentBytes += 7;
  m.shareDownload.sentBytes += 5;
  const text = await m.registry.metrics();
  assert.ok(text.includes('vellum_rpc_handled_total{service="s.S",method="M",code="not_found"} 2'));
  assert.ok(text.includes('vellum_rpc_handled_total{service="s.S",method="M",code="unauthenticated"} 1'));
  assert.ok(text.includes('vellum_rpc_handling_seconds_count{service="s.S",method="M",code="not_found"} 2'));
  assert.ok(text.includes('vellum_rpc_received_bytes_total{service="s.S",method="M"} 10'));
  assert.ok(text.includes('vellum_rpc_sent_bytes_total{service="s.S",method="M"} 7'));
  assert.ok(text.includes("vellum_share_download_sent_bytes_total 5"));
  // Counters are read at scrape time: a second scrape reports the totals again, not twice over.
  assert.ok((await m.registry.metrics()).includes('vellum_rpc_handled_total{service="s.S",method="M",code="not_found"} 2'));
});

test("pool gauges read the pool at scrape time and are absent without a pool", async () => {
  let inUse = 3;
  const m = createMetrics({ pool: { size: 10, inUse: () => inUse, waiting: () => 1 } });
  let text = await m.registry.metrics();
  assert.ok(text.includes("vellum_db_pool_size 10\n"));
  assert.ok(text.includes("vellum_db_pool_in_use 3\n"));
  assert.ok(text.includes("vellum_db_pool_waiting 1\n"));
  inUse = 0;
  text = await m.registry.metrics();
  assert.ok(text.includes("vellum_db_pool_in_use 0\n"));
  assert.not.ok((await createMetrics().registry.metrics()).includes("vellum_db_pool"));
});

test.run();
