import { randomBytes } from "node:crypto";
import { lstatSync, readlinkSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { EventService } from "../../gen/vellum/v1/event_service_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { StorageClass } from "../../gen/vellum/v1/snapshot_pb.js";
import { StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { codeAndReason, create, packRowsOf, read, TIER_STORE, waitJob } from "./support/tier-fixtures.js";
import { tempDir } from "./support/test-server.js";

/**
 * Storage classes on local disk (full router, real Postgres, real files): COLD and ARCHIVE packs
 * move to their tier directories behind symbolic links; COLD reads work, ARCHIVE reads are refused
 * until RehydrateSnapshot's job brings the packs back; a pack shared with a hotter snapshot stays
 * hot; CheckStore and reclaim handle moved packs.
 */
const test = suite("storage tiers on local disk (SetStorageClass, RehydrateSnapshot)");
const STORE = TIER_STORE;

async function withHarness(fn: (h: MemoryHarness, dirs: { blobs: string; cold: string; archive: string }) => Promise<void>) {
  const dir = tempDir("vellum-tiers-");
  const dirs = { blobs: join(dir.path, "blobs"), cold: join(dir.path, "cold"), archive: join(dir.path, "archive") };
  const h = await createMemoryHarness(undefined, {
    VELLUM_BLOB_URL: `file://${dirs.blobs}`,
    VELLUM_COLD_DIR: dirs.cold,
    VELLUM_ARCHIVE_DIR: dirs.archive,
    VELLUM_PACK_TARGET_BYTES: "65536",
    VELLUM_LIFECYCLE_INTERVAL_MS: "0",
    VELLUM_UNDELETE_WINDOW: "0",
  });
  try {
    await fn(h, dirs);
  } finally {
    await h.close();
    dir.remove();
  }
}

/** The packs holding a snapshot's chunks: their recorded class and what is at the object's path. */
async function packsOf(h: MemoryHarness, blobs: string, snapshotId: string) {
  return (await packRowsOf(h, snapshotId)).map(({ packId, storageClass, key }) => {
    const path = join(blobs, key);
    const st = lstatSync(path);
    return { packId, storageClass, path, link: st.isSymbolicLink() ? readlinkSync(path) : undefined };
  });
}


test("COLD keeps reads working, ARCHIVE refuses them until rehydrated, shared packs stay hot, check and reclaim follow moved packs", async () => {
  await withHarness(async (h, dirs) => {
    const storage = createClient(StorageService, h.transport);
    const base = randomBytes(1_300_000); // above INLINE_MAX_BYTES: ingested into 64 KiB packs
    const a = await create(h, "a", base);
    const b = await create(h, "b", base); // the same content in another resource: every chunk of a
    const cBytes = randomBytes(1_200_000);
    const c = await create(h, "c", cBytes);

    const cold = await storage.setStorageClass({ storeId: STORE, snapshotId: c, storageClass: StorageClass.COLD });
    assert.is(cold.snapshot!.storageClass, StorageClass.COLD);
    const coldJob = await waitJob(h, cold.job!.jobId);
    assert.is(coldJob.state, JobState.SUCCEEDED, JSON.stringify(coldJob.errors));
    const cPacks = await packsOf(h, dirs.blobs, c);
    assert.ok(cPacks.length >= 2 && Number(coldJob.result!.details!.packs_moved) === cPacks.length);
    for (const p of cPacks) {
      assert.is(p.storageClass, "COLD");
      assert.ok(p.link?.startsWith(dirs.cold), `${p.path} links into the cold directory`);
    }
    assert.ok((await read(h, c)).equals(cBytes), "a COLD snapshot reads byte-exact");

    const archived = await storage.setStorageClass({ storeId: STORE, snapshotId: a, storageClass: StorageClass.ARCHIVE });
    const archJob = await waitJob(h, archived.job!.jobId);
    assert.is(archJob.state, JobState.SUCCEEDED);
    const aPacks = await packsOf(h, dirs.blobs, a);
    assert.ok(aPacks.every((p) => p.storageClass === "STANDARD" && p.link === undefined), `every pack of a is shared with STANDARD b: it stays hot ${JSON.stringify(aPacks)} ${JSON.stringify(archJob.result?.details)}`);
    assert.is(Number(archJob.result!.details!.packs_kept_hot), aPacks.length);
    assert.match(await codeAndReason(read(h, a)), /^FailedPrecondition .*RehydrateSnapshot/);
    assert.ok((await read(h, b)).equals(base), "the hotter snapshot sharing the packs still reads");
    assert.match(await codeAndReason(storage.setStorageClass({ storeId: STORE, snapshotId: a, storageClass: StorageClass.STANDARD })), /^FailedPrecondition .*RehydrateSnapshot/);
    assert.match(await codeAndReason(storage.rehydrateSnapshot({ storeId: STORE, snapshotId: c })), /^FailedPrecondition .*not ARCHIVE/);
    assert.match(await codeAndReason(storage.setStorageClass({ storeId: STORE, snapshotId: a })), /^InvalidArgument .*storage_class/);

    // c (COLD) to ARCHIVE: its packs move from the cold to the archive directory.
    await waitJob(h, (await storage.setStorageClass({ storeId: STORE, snapshotId: c, storageClass: StorageClass.ARCHIVE })).job!.jobId);
    const cArchived = await packsOf(h, dirs.blobs, c);
    for (const p of cArchived) assert.ok(p.storageClass === "ARCHIVE" && p.link?.startsWith(dirs.archive));
    for (const p of cPacks) assert.not.ok(existsSync(p.link!), "nothing is left in the cold directory");
    assert.match(await codeAndReason(read(h, c)), /^FailedPrecondition/);

    const rehydrate = await waitJob(h, (await storage.rehydrateSnapshot({ storeId: STORE, snapshotId: c })).job!.jobId);
    assert.is(rehydrate.state, JobState.SUCCEEDED);
    const back = await packsOf(h, dirs.blobs, c);
    assert.ok(back.every((p) => p.storageClass === "STANDARD" && p.link === undefined), "rehydrated packs are plain files again");
    for (const p of cArchived) assert.not.ok(existsSync(p.link!));
    assert.is((await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: c })).snapshot!.storageClass, StorageClass.STANDARD);
    assert.ok((await read(h, c)).equals(cBytes), "a rehydrated snapshot reads byte-exact");

    // A COLD pack is checked through its link, and reclaim removes the link and the tier file.
    const d = await create(h, "d", randomBytes(200_000));
    await waitJob(h, (await storage.setStorageClass({ storeId: STORE, snapshotId: d, storageClass: StorageClass.COLD })).job!.jobId);
    const dPacks = await packsOf(h, dirs.blobs, d);
    const check = await waitJob(h, (await h.snapshots.checkStore({ storeId: STORE })).job!.jobId);
    assert.is(check.state, JobState.SUCCEEDED, JSON.stringify(check.errors));
    await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: d, force: true });
    await h.services.reclaim({ graceMs: 0 });
    for (const p of dPacks) {
      assert.not.ok(existsSync(p.path) || lstatExists(p.path), "the link is gone");
      assert.not.ok(existsSync(p.link!), "the tier file is gone");
    }

    // Every class change is an event naming the snapshot (rehydration's own, when its job lands).
    const events = await createClient(EventService, h.transport).listEvents({
      storeId: STORE,
      pageSize: 1000,
      filter: { types: ["snapshot.storage_class_changed", "snapshot.rehydrated"] },
    });
    assert.equal(
      events.events.map((e) => [e.type, e.snapshotId]),
      [["snapshot.storage_class_changed", c], ["snapshot.storage_class_changed", a], ["snapshot.storage_class_changed", c], ["snapshot.rehydrated", c], ["snapshot.storage_class_changed", d]],
    );
  });
});

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

test.run();
