import type { ServiceImpl } from "@connectrpc/connect";
import { JobService } from "../../../gen/vellum/v1/job_service_pb.js";
import type { JobUseCases } from "../domain/jobs/service.js";
import { auditOf } from "./context.js";
import { jobStateFromPb, jobToPb, jobTypeFromPb } from "./convert.js";

export function createJobServiceImpl(jobs: JobUseCases): ServiceImpl<typeof JobService> {
  return {
    async getJob(req) {
      return { job: jobToPb(await jobs.get(req.storeId, req.jobId)) };
    },
    async listJobs(req) {
      const page = await jobs.list(
        { storeId: req.storeId, type: jobTypeFromPb(req.type), state: jobStateFromPb(req.state), snapshotId: req.snapshotId || undefined },
        req.pageSize,
        req.pageToken,
      );
      return { jobs: page.jobs.map(jobToPb), nextPageToken: page.nextPageToken };
    },
    async cancelJob(req, ctx) {
      return { job: jobToPb(await jobs.cancel(req.storeId, req.jobId, auditOf(ctx))) };
    },
    async *watchJob(req, ctx) {
      for await (const job of jobs.watch(req.storeId, req.jobId, ctx.signal)) yield { job: jobToPb(job) };
    },
  };
}
