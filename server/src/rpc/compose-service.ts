import type { ServiceImpl } from "@connectrpc/connect";
import { ComposeService, ComposeStrategy, ConflictResolution } from "../../../gen/vellum/v1/compose_service_pb.js";
import type { ComposeUseCases } from "../domain/compose/compose-use-cases.js";
import type { ComposeStrategy as Strategy, ConflictResolution as Resolution } from "../domain/compose/types.js";
import { auditOf, callerOf } from "./context.js";
import { jobToPb, metadataFromPb } from "./convert.js";

const strategyOf = (s: ComposeStrategy): Strategy | undefined => (s === ComposeStrategy.UNSPECIFIED ? undefined : (ComposeStrategy[s] as Strategy | undefined));
const resolutionOf = (r: ConflictResolution): Resolution =>
  r === ConflictResolution.UNSPECIFIED ? "PREFER_RIGHT" : ((ConflictResolution[r] as Resolution | undefined) ?? ("UNKNOWN" as Resolution));

/** ComposeService: ComposeSnapshots queues a COMPOSE_SNAPSHOTS job. */
export function createComposeServiceImpl(deps: { composer: ComposeUseCases }): ServiceImpl<typeof ComposeService> {
  return {
    async composeSnapshots(req, ctx) {
      const job = await deps.composer.start(
        {
          storeId: req.storeId,
          snapshotIds: req.snapshotIds,
          strategy: strategyOf(req.strategy),
          conflictResolution: resolutionOf(req.conflictResolution),
          resourceType: req.resourceType,
          resourceId: req.resourceId,
          tags: req.tags,
          labels: req.labels ?? {},
          metadata: metadataFromPb(req.metadata),
          priority: req.priority,
        },
        { actor: callerOf(ctx).id, audit: auditOf(ctx) },
      );
      return { job: jobToPb(job) };
    },
  };
}
