import { toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { CompareResultSchema } from "../../../gen/vellum/v1/compare_pb.js";
import { CompareService } from "../../../gen/vellum/v1/compare_service_pb.js";
import { hasScope } from "../domain/auth/principal.js";
import type { PreviewUseCases } from "../domain/compare/preview-snapshot.js";
import { validateCompareRequest } from "../domain/compare/request.js";
import type { CompareUseCases } from "../domain/compare/service.js";
import { invalidField } from "../domain/errors.js";
import { auditOf, callerOf } from "./context.js";
import { comparisonToPb, compareInputFromPb, previewToPb, previewTypeFromPb } from "./compare-convert.js";
import { jobToPb } from "./convert.js";

/** Room left in a message for the response envelope around a result (a few bytes) and framing. */
const ENVELOPE_BYTES = 4 * 1024;

export function createCompareServiceImpl(deps: {
  compare: CompareUseCases;
  previews: PreviewUseCases;
  /** The server's message limit: a larger result is handed to a job instead. */
  maxMessageBytes: number;
}): ServiceImpl<typeof CompareService> {
  const { compare, previews } = deps;
  const who = (ctx: HandlerContext) => ({ actor: callerOf(ctx).id, audit: auditOf(ctx) });

  return {
    async compareSnapshots(req, ctx) {
      const r = validateCompareRequest(compareInputFromPb(req));
      const out = await compare.compareOrEnqueue(r, { ...who(ctx), signal: ctx.signal });
      if ("job" in out) return { outcome: { case: "job", value: jobToPb(out.job) } };
      const result = comparisonToPb(out.comparison);
      if (toBinary(CompareResultSchema, result).length > deps.maxMessageBytes - ENVELOPE_BYTES) {
        const job = await compare.start(r, { ...who(ctx), priority: 0 });
        return { outcome: { case: "job", value: jobToPb(job) } };
      }
      return { outcome: { case: "result", value: result } };
    },

    async startCompare(req, ctx) {
      const r = validateCompareRequest(compareInputFromPb(req));
      return { job: jobToPb(await compare.start(r, { ...who(ctx), priority: req.priority })) };
    },

    async previewSnapshot(req, ctx) {
      const type = previewTypeFromPb(req.type);
      if (type === undefined) throw invalidField("type", "must be AUTO, JSON, TEXT, TAR or BINARY");
      const caller = callerOf(ctx);
      const audit = auditOf(ctx);
      const p = await previews.preview(
        { storeId: req.storeId, snapshotId: req.snapshotId, type, maxBytes: req.maxBytes, includeSensitive: req.includeSensitive },
        { actor: audit.actor, requestId: audit.requestId, admin: hasScope(caller, "snapshot:admin") },
        ctx.signal,
      );
      return previewToPb(p);
    },
  };
}
