import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { LineageDirection, LineageEdgeKind } from "../../gen/vellum/v1/lineage_pb.js";
import { LineageService } from "../../gen/vellum/v1/lineage_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { TransferService } from "../../gen/vellum/v1/transfer_service_pb.js";
import { startSecureServer, type SecureServer } from "./support/security-fixtures.js";

const test = suite<{ s: SecureServer }>("transfer: import from a Vellum share link (real HTTP server)");

test.before(async (ctx) => {
  ctx.s = await startSecureServer({ VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1" });
});
test.after(async (ctx) => {
  await ctx.s?.close();
});

async function finished(s: SecureServer, storeId: string, jobId: string) {
  const jobs = s.client(JobService, { apiKey: s.adminKey });
  let last;
  for await (const m of jobs.watchJob({ storeId, jobId }, { timeoutMs: 60_000 })) last = m.job!;
  return last!;
}

test("a DOWNLOAD share link imports as the same bytes; lineage and job name it without the token", async ({ s }) => {
  const admin = { apiKey: s.adminKey };
  const content = randomBytes(700_000);
  const snap = (
    await s.client(SnapshotService, admin).createSnapshot({ storeId: "owner", resourceType: "db", snapshotType: SnapshotType.DB, payload: { case: "data", value: content } })
  ).snapshot!;
  const shared = await s.client(ShareService, admin).shareSnapshot({ storeId: "owner", snapshotId: snap.snapshotId, access: ShareAccess.DOWNLOAD, expiresInSeconds: 600n });
  assert.match(shared.signedUrl, /\/v1\/share\/.+\/download$/);

  const imp = await s.client(TransferService, admin).importSnapshot({ storeId: "receiver", source: shared.signedUrl, resourceType: "db-copy", resourceId: "main" });
  const job = await finished(s, "receiver", imp.job!.jobId);
  assert.is(job.state, JobState.SUCCEEDED, JSON.stringify(job.errors));
  const parts: Buffer[] = [];
  for await (const m of s.client(SnapshotService, admin).downloadSnapshot({ storeId: "receiver", snapshotId: job.result!.snapshotId })) parts.push(Buffer.from(m.chunk));
  assert.ok(Buffer.concat(parts).equals(content));

  const got = (await s.client(SnapshotService, admin).getSnapshot({ storeId: "receiver", snapshotId: job.result!.snapshotId })).snapshot!;
  assert.is(got.sha256, snap.sha256);
  assert.is(got.resourceType, "db-copy");
  const g = await s.client(LineageService, admin).getLineage({ storeId: "receiver", snapshotId: got.snapshotId, direction: LineageDirection.UPSTREAM });
  const edge = g.edges.find((e) => e.kind === LineageEdgeKind.IMPORTED_FROM)!;
  assert.ok(edge, "IMPORTED_FROM edge");
  assert.not.ok(edge.from!.id.includes(shared.shareToken), "no token in lineage");
  assert.match(edge.note, snap.snapshotId);
  const text = JSON.stringify(job, (_k, v) => (typeof v === "bigint" ? String(v) : v));
  assert.not.ok(text.includes(shared.shareToken), "no token in the job");

  await s.client(ShareService, admin).revokeShare({ storeId: "owner", shareId: shared.share!.shareId });
  const again = await s.client(TransferService, admin).importSnapshot({ storeId: "receiver", source: shared.signedUrl });
  const refused = await finished(s, "receiver", again.job!.jobId);
  assert.is(refused.state, JobState.FAILED);
  assert.is(refused.errors[0].code, "FAILED_PRECONDITION");
  assert.not.ok(refused.errors[0].message.includes(shared.shareToken));
});

test.run();
