import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

/** A bit flipped in a stored pack is caught on download, by VerifySnapshot and by CheckStore. */
const test = suite<{ h: MemoryHarness }>("integrity: corruption in a pack is detected, never served");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_PACK_TARGET_BYTES: String(128 * 1024) });
});
test.after(async (ctx) => ctx.h.close());

const STORE = "integrity";

async function waitJob(h: MemoryHarness, jobId: string) {
  for (let i = 0; i < 200; i++) {
    const { job } = await h.jobs.getJob({ storeId: STORE, jobId });
    if (job!.state >= JobState.SUCCEEDED) return job!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("job did not finish");
}

async function download(h: MemoryHarness, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId: STORE, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

for (const encrypt of [false, true]) {
  test(`flipped bit in a ${encrypt ? "encrypted" : "plaintext"} pack: DATA_LOSS on download, verify and check`, async ({ h }) => {
    const good = randomBytes(400_000);
    const victim = randomBytes(400_000);
    const goodSnap = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, encrypt, payload: { case: "data", value: good } })).snapshot!;
    const snap = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, encrypt, payload: { case: "data", value: victim } })).snapshot!;
    assert.is(snap.encrypted, encrypt);
    const healthy = await h.snapshots.verifySnapshot({ storeId: STORE, snapshotId: snap.snapshotId });
    assert.is((await waitJob(h, healthy.job!.jobId)).state, JobState.SUCCEEDED);

    // Flip one bit in the middle of the record of a chunk that only the victim uses.
    const { services } = h;
    const [row] = await services.database.db.execute<{ pack_id: string; offset: number; length: number; digest: Buffer; blob_key: string }>(sql`
      select c.pack_id, c."offset", c.length, c.digest, p.blob_key from chunks c join packs p using (store_id, pack_id)
      where c.store_id = ${STORE} and c.encrypted = ${encrypt} order by c.create_time desc, c."offset" desc limit 1`);
    const parts: Uint8Array[] = [];
    for await (const p of services.blobs.get(row.blob_key)) parts.push(p);
    const pack = Buffer.concat(parts);
    pack[Number(row.offset) + Math.floor(row.length / 2)] ^= 0x10;
    await services.blobs.put(row.blob_key, pack);
    const badHex = Buffer.from(row.digest).toString("hex");

    const err = ConnectError.from(await download(h, snap.snapshotId).then(() => undefined, (e) => e));
    assert.is(err.code, Code.DataLoss);
    assert.ok(err.rawMessage.includes(badHex), "the error names the bad chunk");
    assert.ok((await download(h, goodSnap.snapshotId)).equals(good), "other snapshots are unaffected");

    const verify = await waitJob(h, (await h.snapshots.verifySnapshot({ storeId: STORE, snapshotId: snap.snapshotId })).job!.jobId);
    assert.is(verify.state, JobState.FAILED);
    assert.ok(verify.errors.some((e) => e.code === "DATA_LOSS" && e.subject.includes(badHex)));

    const check = await waitJob(h, (await h.snapshots.checkStore({ storeId: STORE })).job!.jobId);
    assert.is(check.state, JobState.FAILED);
    const bad = check.errors.filter((e) => e.subject === `chunk ${badHex}`);
    assert.is(bad.length, 1);
    assert.ok(bad[0].message.includes(snap.snapshotId), "the report names the affected snapshot");
    assert.not.ok(check.errors.some((e) => e.message.includes(goodSnap.snapshotId)));

    // Restore the bit so the next case starts from a healthy store.
    pack[Number(row.offset) + Math.floor(row.length / 2)] ^= 0x10;
    await services.blobs.put(row.blob_key, pack);
    const ok = await waitJob(h, (await h.snapshots.checkStore({ storeId: STORE })).job!.jobId);
    assert.is(ok.state, JobState.SUCCEEDED);
  });
}

test.run();
