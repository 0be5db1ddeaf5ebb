import type { ServiceImpl } from "@connectrpc/connect";
import { AuditService } from "../../../gen/vellum/v1/audit_service_pb.js";
import type { AuditQueries } from "../domain/audit/audit-queries.js";
import { dateOf } from "./convert.js";
import { auditEventToPb } from "./security-convert.js";

/** AuditService: store access was checked by the access interceptor (store_id "*" needs every store). */
export function createAuditServiceImpl(deps: { audit: AuditQueries }): ServiceImpl<typeof AuditService> {
  const { audit } = deps;
  return {
    async getSnapshotAudit(req) {
      const page = await audit.snapshotEvents(req.storeId, req.snapshotId, req.pageSize, req.pageToken);
      return { events: page.events.map(auditEventToPb), nextPageToken: page.nextPageToken };
    },
    async listAuditEvents(req) {
      const page = await audit.list(
        {
          storeId: req.storeId,
          actor: req.actor || undefined,
          action: req.action || undefined,
          resourceType: req.resourceType || undefined,
          resourceId: req.resourceId || undefined,
          since: dateOf(req.since, "since"),
          until: dateOf(req.until, "until"),
        },
        req.pageSize,
        req.pageToken,
      );
      return { events: page.events.map(auditEventToPb), nextPageToken: page.nextPageToken };
    },
    async verifyAuditChain(req) {
      const r = await audit.verify(req.storeId);
      return {
        ok: r.ok,
        checked: BigInt(r.checked),
        firstBadSeq: r.ok ? 0n : BigInt(r.firstBadSeq),
        reason: r.ok ? "" : r.reason,
        headSeq: BigInt(r.head.seq),
        headHash: r.head.hash.toHex(),
      };
    },
    async *exportAuditEvents(req, ctx) {
      const afterSeq = req.afterSeq > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(req.afterSeq);
      for await (const batch of audit.export(req.storeId, afterSeq, dateOf(req.since, "since"), dateOf(req.until, "until"), ctx.signal)) {
        yield { events: batch.map(auditEventToPb) };
      }
    },
  };
}
