import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { AnnotationSchema, TagCountSchema } from "../../../gen/vellum/v1/catalog_pb.js";
import { CatalogService } from "../../../gen/vellum/v1/catalog_service_pb.js";
import type { AnnotationUseCases } from "../domain/catalog/annotations.js";
import type { HasSnapshots } from "../domain/catalog/has-snapshots.js";
import type { TagUseCases } from "../domain/catalog/tags.js";
import type { Annotation } from "../domain/catalog/types.js";
import { auditOf, callerOf } from "./context.js";
import { snapshotToPb, ts } from "./convert.js";

const annotationToPb = (a: Annotation) =>
  create(AnnotationSchema, {
    annotationId: a.id,
    storeId: a.storeId,
    snapshotId: a.snapshotId,
    authorId: a.authorId,
    message: a.message,
    createdBy: a.createdBy,
    createTime: ts(a.createTime),
  });

/** CatalogService: tags, annotations and resource lookups. */
export function createCatalogServiceImpl(deps: {
  tags: TagUseCases;
  annotations: AnnotationUseCases;
  hasSnapshots: HasSnapshots;
}): ServiceImpl<typeof CatalogService> {
  const { tags, annotations } = deps;
  return {
    async addTags(req, ctx) {
      return { snapshot: snapshotToPb(await tags.add(req.storeId, req.snapshotId, req.tags, req.etag, auditOf(ctx))) };
    },
    async removeTag(req, ctx) {
      return { snapshot: snapshotToPb(await tags.remove(req.storeId, req.snapshotId, req.tag, req.etag, auditOf(ctx))) };
    },
    async listTags(req) {
      const page = await tags.list(req.storeId, req.prefix, req.pageSize, req.pageToken);
      return {
        tags: page.tags.map((t) => create(TagCountSchema, { tag: t.tag, count: BigInt(t.count) })),
        nextPageToken: page.nextPageToken,
      };
    },
    async addAnnotation(req, ctx) {
      const a = await annotations.add(req.storeId, req.snapshotId, req.authorId, req.message, callerOf(ctx).id, auditOf(ctx));
      return { annotation: annotationToPb(a) };
    },
    async listAnnotations(req) {
      const page = await annotations.list(req.storeId, req.snapshotId, req.pageSize, req.pageToken);
      return { annotations: page.annotations.map(annotationToPb), nextPageToken: page.nextPageToken };
    },
    async hasSnapshots(req) {
      const key = { storeId: req.storeId, resourceType: req.resourceType, resourceId: req.resourceId };
      return deps.hasSnapshots(key, req.resourceVersion);
    },
  };
}
