import { Code, ConnectError } from "@connectrpc/connect";
import { JobState } from "../../../gen/vellum/v1/job_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { MemoryHarness } from "./memory-client.js";

/** What the storage-tier suites (local disk and GCS) share: one store, BLOB snapshots, job waits. */
export const TIER_STORE = "tiers";

/** Polls a job of TIER_STORE until it ends (at most 30 s). */
export async function waitJob(h: MemoryHarness, jobId: string) {
  for (let i = 0; i < 1200; i++) {
    const { job } = await h.jobs.getJob({ storeId: TIER_STORE, jobId });
    if (job!.state >= JobState.SUCCEEDED) return job!;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** A snapshot's whole content through DownloadSnapshot. */
export async function read(h: MemoryHarness, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId: TIER_STORE, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

/** A BLOB snapshot of `bytes` for resource doc/`id`; its id. */
export const create = async (h: MemoryHarness, id: string, bytes: Uint8Array) =>
  (await h.snapshots.createSnapshot({ storeId: TIER_STORE, resourceType: "doc", resourceId: id, snapshotType: SnapshotType.BLOB, payload: { case: "data", value: bytes } }))
    .snapshot!.snapshotId;

/** The packs holding a snapshot's chunks, with their recorded storage class, by pack id. */
export async function packRowsOf(h: MemoryHarness, snapshotId: string): Promise<{ packId: string; storageClass: string; key: string }[]> {
  const sql = h.services.database.sql;
  const [row] = await sql`select content_ref from snapshots where id = ${snapshotId}`;
  const manifest = await h.services.content.manifestOf({ storeId: TIER_STORE, contentRef: row.content_ref as string });
  const digests = manifest.entries.map((e) => e.digest.toHex());
  const rows = await sql`select distinct p.pack_id, p.storage_class from chunks c join packs p on p.store_id = c.store_id and p.pack_id = c.pack_id
    where c.store_id = ${TIER_STORE} and encode(c.digest, 'hex') = any(${digests}) order by p.pack_id`;
  return rows.map((r) => {
    const packId = r.pack_id as string;
    return { packId, storageClass: r.storage_class as string, key: `packs/${TIER_STORE}/${packId.slice(0, 2)}/${packId}` };
  });
}

/** "OK", or the call's code name and message. */
export async function codeAndReason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const ce = ConnectError.from(e);
    return `${Code[ce.code]} ${ce.rawMessage}`;
  }
  return "OK";
}
