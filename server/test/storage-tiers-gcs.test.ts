import { randomBytes } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import { createClient } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { StorageClass } from "../../gen/vellum/v1/snapshot_pb.js";
import { StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { ensureGcsEmulator, type RunningGcsEmulator } from "../../scripts/gcs-emulator/ensure-gcs-emulator.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { codeAndReason, create, packRowsOf, read, TIER_STORE, waitJob } from "./support/tier-fixtures.js";

/**
 * Storage classes on GCS (full router, real Postgres, the Cloud Storage emulator): a class move
 * re-uploads each pack object under its name with the new class, conditioned on the source
 * generation. The emulator does not record an object's storage class (it reports STANDARD for
 * every object, whatever the upload asked), so the test observes the move as a new generation of
 * each moved pack, uploaded with `ifGenerationMatch` = the previous generation, with the same
 * bytes; packs kept hot keep their generation.
 */
const test = suite("storage tiers on GCS (SetStorageClass, RehydrateSnapshot, Cloud Storage emulator)");
const STORE = TIER_STORE;
const BUCKET = "vellum-tiers";

async function withHarness(fn: (h: MemoryHarness, emulator: RunningGcsEmulator, storage: Storage) => Promise<void>) {
  const emulator = await ensureGcsEmulator({ logRequests: true });
  const h = await createMemoryHarness(undefined, {
    VELLUM_BLOB_URL: `gs://${BUCKET}`,
    VELLUM_GCS_ENDPOINT: emulator.endpoint,
    VELLUM_PACK_TARGET_BYTES: "65536",
    VELLUM_LIFECYCLE_INTERVAL_MS: "0",
    VELLUM_UNDELETE_WINDOW: "0",
  });
  try {
    await fn(h, emulator, new Storage({ apiEndpoint: emulator.endpoint, projectId: "vellum-local" }));
  } finally {
    await h.close();
    await emulator.stop();
  }
}

interface PackObject {
  packId: string;
  storageClass: string;
  name: string;
  generation: string;
  md5Hash: string;
}

/** The packs holding a snapshot's chunks: their recorded class and their object's metadata. */
async function packsOf(h: MemoryHarness, storage: Storage, snapshotId: string): Promise<PackObject[]> {
  return Promise.all(
    (await packRowsOf(h, snapshotId)).map(async ({ packId, storageClass, key }) => {
      const [md] = await storage.bucket(BUCKET).file(key).getMetadata();
      return { packId, storageClass, name: key, generation: String(md.generation), md5Hash: String(md.md5Hash) };
    }),
  );
}

/** The conditional uploads among the emulator's logged requests: object name → ifGenerationMatch. */
async function conditionalUploads(emulator: RunningGcsEmulator): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of await emulator.takeRequests()) {
    const [method, url] = line.split(" ");
    const u = new URL(url, "http://emulator");
    const name = u.searchParams.get("name");
    const cond = u.searchParams.get("ifGenerationMatch");
    if (method === "POST" && u.pathname.startsWith("/upload/") && name && cond) out.set(name, cond);
  }
  return out;
}


test("COLD re-uploads packs under their names and keeps reads byte-exact, ARCHIVE refuses reads until rehydrated, shared packs stay hot, CheckStore is clean", async () => {
  await withHarness(async (h, emulator, gcs) => {
    const storage = createClient(StorageService, h.transport);
    const base = randomBytes(1_300_000); // above INLINE_MAX_BYTES: ingested into 64 KiB packs
    const a = await create(h, "a", base);
    const b = await create(h, "b", base); // the same content in another resource: every chunk of a
    const cBytes = randomBytes(1_200_000);
    const c = await create(h, "c", cBytes);
    const cBefore = await packsOf(h, gcs, c);
    await emulator.takeRequests();

    const cold = await storage.setStorageClass({ storeId: STORE, snapshotId: c, storageClass: StorageClass.COLD });
    assert.is(cold.snapshot!.storageClass, StorageClass.COLD);
    const coldJob = await waitJob(h, cold.job!.jobId);
    assert.is(coldJob.state, JobState.SUCCEEDED, JSON.stringify(coldJob.errors));
    const uploads = await conditionalUploads(emulator);
    const cPacks = await packsOf(h, gcs, c);
    assert.ok(cPacks.length >= 2 && Number(coldJob.result!.details!.packs_moved) === cPacks.length);
    for (const [i, p] of cPacks.entries()) {
      assert.is(p.storageClass, "COLD");
      assert.is(uploads.get(p.name), cBefore[i].generation, `${p.name} was re-uploaded on condition of its previous generation`);
      assert.is.not(p.generation, cBefore[i].generation, `${p.name} is a new generation`);
      assert.is(p.md5Hash, cBefore[i].md5Hash, `${p.name} keeps its bytes`);
    }
    assert.ok((await read(h, c)).equals(cBytes), "a COLD snapshot reads byte-exact");

    const aBefore = await packsOf(h, gcs, a);
    const archJob = await waitJob(h, (await storage.setStorageClass({ storeId: STORE, snapshotId: a, storageClass: StorageClass.ARCHIVE })).job!.jobId);
    assert.is(archJob.state, JobState.SUCCEEDED, JSON.stringify(archJob.errors));
    const aPacks = await packsOf(h, gcs, a);
    assert.equal(aPacks, aBefore, "every pack of a is shared with STANDARD b: it stays hot and untouched");
    assert.is(Number(archJob.result!.details!.packs_kept_hot), aPacks.length);
    assert.match(await codeAndReason(read(h, a)), /^FailedPrecondition .*RehydrateSnapshot/);
    assert.ok((await read(h, b)).equals(base), "the hotter snapshot sharing the packs still reads");

    // c (COLD) to ARCHIVE: refused reads; RehydrateSnapshot's job brings it back to STANDARD.
    await waitJob(h, (await storage.setStorageClass({ storeId: STORE, snapshotId: c, storageClass: StorageClass.ARCHIVE })).job!.jobId);
    assert.ok((await packsOf(h, gcs, c)).every((p) => p.storageClass === "ARCHIVE"));
    assert.match(await codeAndReason(read(h, c)), /^FailedPrecondition .*RehydrateSnapshot/);
    const rehydrate = await waitJob(h, (await storage.rehydrateSnapshot({ storeId: STORE, snapshotId: c })).job!.jobId);
    assert.is(rehydrate.state, JobState.SUCCEEDED, JSON.stringify(rehydrate.errors));
    const back = await packsOf(h, gcs, c);
    assert.ok(back.every((p, i) => p.storageClass === "STANDARD" && p.md5Hash === cBefore[i].md5Hash));
    assert.is((await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: c })).snapshot!.storageClass, StorageClass.STANDARD);
    assert.ok((await read(h, c)).equals(cBytes), "a rehydrated snapshot reads byte-exact");

    const d = await create(h, "d", randomBytes(200_000));
    await waitJob(h, (await storage.setStorageClass({ storeId: STORE, snapshotId: d, storageClass: StorageClass.COLD })).job!.jobId);
    const check = await waitJob(h, (await h.snapshots.checkStore({ storeId: STORE })).job!.jobId);
    assert.is(check.state, JobState.SUCCEEDED, JSON.stringify(check.errors));
    assert.is(Number(check.result!.details!.bad_chunks), 0);
    assert.ok(Number(check.result!.details!.chunks_checked) > 0);
  });
});

test.run();
