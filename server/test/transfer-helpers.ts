import { createClient, type Client } from "@connectrpc/connect";
import { type Job } from "../../gen/vellum/v1/job_pb.js";
import { LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { TransferService } from "../../gen/vellum/v1/transfer_service_pb.js";
import { download, waitForJob } from "./compare-helpers.js";
import type { MemoryHarness } from "./support/memory-client.js";

export { download, waitForJob };

export const transferOf = (h: MemoryHarness): Client<typeof TransferService> => createClient(TransferService, h.transport);
export const lineageOf = (h: MemoryHarness): Client<typeof LineageService> => createClient(LineageService, h.transport);

/** Uploads `bytes` as a snapshot with tags, labels and metadata worth comparing after a round trip. */
export async function uploadRich(h: MemoryHarness, storeId: string, bytes: Uint8Array, type = SnapshotType.BLOB): Promise<Snapshot> {
  const res = await h.snapshots.uploadSnapshot(
    (async function* () {
      yield {
        msg: {
          case: "header" as const,
          value: {
            storeId,
            resourceType: "page",
            resourceId: "home",
            snapshotType: type,
            tags: ["release", "de"],
            labels: { env: "prod", n: 3, nested: { a: [1, "x"] } },
            metadata: { commitMessage: "weekly export", channel: "web", locale: "de-DE", jobId: "ext-42" },
          },
        },
      };
      for (let i = 0; i < bytes.length; i += 1 << 20) yield { msg: { case: "chunk" as const, value: bytes.subarray(i, i + (1 << 20)) } };
    })(),
  );
  return res.snapshot!;
}

/** The parts of a snapshot an import must keep. */
export const portable = (s: Snapshot) => ({
  resourceType: s.resourceType,
  resourceId: s.resourceId,
  snapshotType: s.snapshotType,
  size: s.size,
  sha256: s.sha256,
  tags: s.tags,
  labels: s.labels,
  metadata: { ...s.metadata, $typeName: undefined },
});

/** Waits for a job and fails with its errors unless it succeeded. */
export async function succeeded(h: MemoryHarness, storeId: string, job: Job | undefined): Promise<Job> {
  const done = await waitForJob(h, storeId, job!.jobId);
  if (done.state !== 3) throw new Error(`job ${done.jobId} ended in state ${done.state}: ${JSON.stringify(done.errors)}`);
  return done;
}
