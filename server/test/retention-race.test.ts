import { createHash } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { RetentionService } from "../../gen/vellum/v1/retention_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotState, SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { prng } from "./support/search-corpus.js";

/**
 * Randomized race test: for many seeds, rounds of uploads, deletes, undeletes, pins and unpins,
 * retention runs, lifecycle passes (purging soft deletes past the undelete window) and storage
 * reclaims run concurrently against the full router and one real Postgres. After every round,
 * every ACTIVE snapshot downloads byte-exact and CheckStore finds no missing or corrupt chunk.
 * Payloads share chunks (a common base with seeded edits), so deletes and reclaims race over chunks
 * live snapshots still use. A failure names its seed (prng is mulberry32): set RACE_SEED to replay that one.
 */
const test = suite("retention and lifecycle race (seeded interleavings, real Postgres)");

const SEEDS = process.env.RACE_SEED ? [Number(process.env.RACE_SEED)] : [1, 2, 3, 4, 5, 6, 7, 8];
const ROUNDS = 3;
const OPS_PER_ROUND = 10;

function payload(r: ReturnType<typeof prng>, base: Buffer): Buffer {
  const out = Buffer.from(base);
  for (let i = 0; i < 3; i++) {
    const at = r.int(out.length - 4096);
    for (let j = 0; j < 4096; j++) out[at + j] = r.int(256);
  }
  return out.subarray(0, out.length - r.int(50_000));
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Errors an operation may meet when another one got there first (all typed, none INTERNAL). */
const EXPECTED = new Set([Code.FailedPrecondition, Code.NotFound, Code.Aborted]);
const tolerate = (err: unknown) => {
  const e = ConnectError.from(err);
  if (!EXPECTED.has(e.code)) throw e;
};

async function waitJob(h: MemoryHarness, storeId: string, jobId: string) {
  for (let i = 0; i < 600; i++) {
    const { job } = await h.jobs.getJob({ storeId, jobId });
    if (job!.state >= JobState.SUCCEEDED) return job!;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function download(h: MemoryHarness, storeId: string, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

test("uploads, deletes, pins, retention runs, purges and reclaims interleaved: live snapshots stay byte-exact, CheckStore stays clean", async () => {
  // A 1 s undelete window so lifecycle passes purge what retention and deletes soft-deleted.
  const h = await createMemoryHarness(undefined, { VELLUM_UNDELETE_WINDOW: "1s", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  try {
    const admin = createClient(SnapshotAdminService, h.transport);
    const retention = createClient(RetentionService, h.transport);
    /** What the destructive operations did over all seeds (the test must exercise them). */
    const did = { retentionDeleted: 0, purged: 0, chunksReclaimed: 0 };
    for (const seed of SEEDS) {
      const storeId = `race-${seed}`;
      const r = prng(seed);
      const base = Buffer.alloc(400_000);
      for (let i = 0; i < base.length; i++) base[i] = r.int(256);
      /** sha256 of every snapshot this seed created, by id. */
      const expected = new Map<string, string>();
      await retention.createRetentionRule({ storeId, rule: { name: "two", resourceType: "doc", keepLatestN: 2 } });
      const ids = () => [...expected.keys()];
      const ops: Array<[string, () => Promise<unknown>]> = [
        ["create", async () => {
          const bytes = payload(r, base);
          const res = await h.snapshots.createSnapshot({ storeId, resourceType: "doc", resourceId: `d${r.int(3)}`, snapshotType: SnapshotType.BLOB, payload: { case: "data", value: bytes } });
          expected.set(res.snapshot!.snapshotId, sha(bytes));
        }],
        ["delete", async () => ids().length && h.snapshots.deleteSnapshot({ storeId, snapshotId: r.pick(ids()) }).catch(tolerate)],
        ["undelete", async () => ids().length && h.snapshots.undeleteSnapshot({ storeId, snapshotId: r.pick(ids()) }).catch(tolerate)],
        ["pin", async () => ids().length && admin.pinSnapshot({ storeId, snapshotId: r.pick(ids()) }).catch(tolerate)],
        ["unpin", async () => ids().length && admin.unpinSnapshot({ storeId, snapshotId: r.pick(ids()) }).catch(tolerate)],
        ["retention", async () => (did.retentionDeleted += (await h.services.retention.retention.run(storeId, { dryRun: false, audit: { actor: "test", requestId: `race-${seed}` } })).deletedCount)],
        ["purge", async () => (did.purged += (await h.services.retention.lifecyclePass(new Date(Date.now() + 2000))).purged)],
        ["reclaim", async () => (did.chunksReclaimed += (await h.services.reclaim({ graceMs: 0 })).chunksDeleted)],
      ];
      for (let round = 0; round < ROUNDS; round++) {
        const chosen = Array.from({ length: OPS_PER_ROUND }, (_, i) => (round === 0 && i < 4 ? ops[0] : r.pick(ops)));
        const results = await Promise.allSettled(chosen.map(([, op]) => op()));
        results.forEach((res, i) => {
          if (res.status === "rejected") throw new Error(`seed ${seed} round ${round}: ${chosen[i][0]} failed: ${res.reason}`);
        });
        const live = (await h.snapshots.listSnapshots({ storeId, pageSize: 1000 })).snapshots.filter((s) => s.state === SnapshotState.ACTIVE);
        for (const s of live) {
          const got = sha(await download(h, storeId, s.snapshotId));
          assert.is(got, expected.get(s.snapshotId), `seed ${seed} round ${round}: ${s.snapshotId} reads back byte-exact`);
        }
        const check = await waitJob(h, storeId, (await h.snapshots.checkStore({ storeId })).job!.jobId);
        assert.is(check.state, JobState.SUCCEEDED, `seed ${seed} round ${round}: CheckStore ${JSON.stringify(check.errors.slice(0, 3))}`);
        assert.is(check.errors.length, 0);
      }
      assert.ok(expected.size >= 4, `seed ${seed} created snapshots`);
    }
    assert.ok(did.retentionDeleted > 0 && did.purged > 0 && did.chunksReclaimed > 0, `retention deleted, purges purged and reclaims freed chunks: ${JSON.stringify(did)}`);
  } finally {
    await h.close();
  }
});

test.run();
