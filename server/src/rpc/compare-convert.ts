import { create, fromJson, toJsonString, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import {
  ChunkDiffSchema,
  ChunkSummaryReason as PbChunkSummaryReason,
  CompareResultSchema,
  ContentKind as PbContentKind,
  DiffFormat as PbDiffFormat,
  JsonDiffSchema,
  PathChangeKind,
  PreviewMemberSchema,
  PreviewRedactionSchema,
  PreviewType as PbPreviewType,
  TarDiffSchema,
  TarMemberInfoSchema,
  TarMemberStatus,
  TextDiffSchema,
  WordDiffSchema,
  WordPartKind,
  type CompareOptions as PbCompareOptions,
  type CompareResult as PbCompareResult,
} from "../../../gen/vellum/v1/compare_pb.js";
import { PreviewSnapshotResponseSchema, type PreviewSnapshotResponse } from "../../../gen/vellum/v1/compare_service_pb.js";
import type { PreviewType } from "../domain/compare/preview-snapshot.js";
import type { SnapshotPreview } from "../domain/compare/preview-snapshot.js";
import type { CompareRequestInput } from "../domain/compare/request.js";
import type { ChunkSummaryReason, CompareBody, CompareFormat, EncodedComparison, SnapshotComparison } from "../domain/compare/types.js";
import type { ChunkDiff, JsonDiff, TarDiff, TarMemberInfo, TextStructuredDiff, WordField } from "../domain/diff/index.js";

/** Converters between CompareService messages and the compare domain. Enum names map 1:1 after the prefix. */

export const diffFormatFromPb = (f: PbDiffFormat): CompareFormat | undefined =>
  f === PbDiffFormat.UNSPECIFIED ? undefined : (PbDiffFormat[f] as CompareFormat | undefined);

export const previewTypeFromPb = (t: PbPreviewType): PreviewType | undefined =>
  t === PbPreviewType.UNSPECIFIED ? "AUTO" : (PbPreviewType[t] as PreviewType | undefined);

/** The request fields shared by CompareSnapshots and StartCompare. */
export function compareInputFromPb(req: {
  storeId: string;
  leftSnapshotId: string;
  rightSnapshotId: string;
  format: PbDiffFormat;
  options?: PbCompareOptions;
}): CompareRequestInput {
  const o = req.options;
  return {
    storeId: req.storeId,
    leftSnapshotId: req.leftSnapshotId,
    rightSnapshotId: req.rightSnapshotId,
    format: diffFormatFromPb(req.format),
    options: {
      ...(o?.context !== undefined ? { context: o.context } : {}),
      ignorePaths: o?.ignorePaths ?? [],
      arrayMatchKey: o?.arrayMatchKey ?? [],
    },
  };
}

const value = (v: unknown): Value => fromJson(ValueSchema, v as JsonValue);
const upper = <T extends string>(s: T) => s.toUpperCase() as Uppercase<T>;

function jsonDiffToPb(d: JsonDiff) {
  return create(JsonDiffSchema, {
    patch: d.patch.map((op) => ({
      op: op.op,
      path: op.path,
      from: op.op === "move" ? op.from : "",
      value: op.op === "add" || op.op === "replace" ? value(op.value) : undefined,
    })),
    changes: d.changes.map((c) => ({
      kind: PathChangeKind[upper(c.kind)],
      path: c.path,
      from: c.from ?? "",
      oldValue: c.oldValue !== undefined ? value(c.oldValue) : undefined,
      newValue: c.newValue !== undefined ? value(c.newValue) : undefined,
    })),
    counts: d.counts,
  });
}

const textDiffToPb = (d: TextStructuredDiff) =>
  create(TextDiffSchema, { hunks: d.hunks, addedLines: d.counts.addedLines, removedLines: d.counts.removedLines });

const tarInfo = (m: TarMemberInfo | undefined) =>
  m && create(TarMemberInfoSchema, { type: m.type, size: BigInt(m.size), mode: m.mode, sha256: m.digest.toHex(), linkname: m.linkname ?? "" });

const tarDiffToPb = (d: TarDiff) =>
  create(TarDiffSchema, {
    members: d.members.map((m) => ({
      name: m.name,
      status: TarMemberStatus[upper(m.status)],
      left: tarInfo(m.old),
      right: tarInfo(m.new),
      text: m.text,
      unified: m.unified ?? "",
    })),
    ...d.counts,
  });

const wordDiffToPb = (fields: WordField[]) =>
  create(WordDiffSchema, {
    fields: fields.map((f) => ({ path: f.path, from: f.from ?? "", parts: f.parts.map((p) => ({ kind: WordPartKind[upper(p.kind)], value: p.value })) })),
  });

const REASONS: Record<ChunkSummaryReason, PbChunkSummaryReason> = {
  requested: PbChunkSummaryReason.REQUESTED,
  binary: PbChunkSummaryReason.BINARY,
  too_large: PbChunkSummaryReason.TOO_LARGE,
};

function chunkDiffToPb(d: ChunkDiff, reason: ChunkSummaryReason) {
  const range = (r: { offset: number; length: number }) => ({ offset: BigInt(r.offset), length: BigInt(r.length) });
  const c = d.counts;
  return create(ChunkDiffSchema, {
    changedRanges: d.changedRanges.map(range),
    removedRanges: d.removedRanges.map(range),
    movedRanges: d.movedRanges.map((r) => ({ ...range(r), fromOffset: BigInt(r.fromOffset) })),
    counts: {
      leftChunks: BigInt(c.leftChunks),
      rightChunks: BigInt(c.rightChunks),
      unchanged: BigInt(c.unchanged),
      moved: BigInt(c.moved),
      changed: BigInt(c.changed),
      removed: BigInt(c.removed),
    },
    bytesChanged: BigInt(d.bytesChanged),
    bytesRemoved: BigInt(d.bytesRemoved),
    leftSize: BigInt(d.leftSize),
    rightSize: BigInt(d.rightSize),
    reason: REASONS[reason],
  });
}

function bodyToPb(b: CompareBody): PbCompareResult["body"] {
  switch (b.format) {
    case "JSON":
      if (b.kind === "json") return { case: "json", value: jsonDiffToPb(b.diff) };
      if (b.kind === "text") return { case: "text", value: textDiffToPb(b.diff) };
      return { case: "tar", value: tarDiffToPb(b.diff) };
    case "UNIFIED":
      return { case: "unified", value: b.text };
    case "WORD":
      return { case: "word", value: wordDiffToPb(b.fields) };
    case "HTML":
      return { case: "html", value: b.html };
    case "CHUNKS":
      return { case: "chunks", value: chunkDiffToPb(b.chunks, b.reason) };
  }
}

export function comparisonToPb(c: SnapshotComparison): PbCompareResult {
  return create(CompareResultSchema, {
    leftSnapshotId: c.left.id,
    rightSnapshotId: c.right.id,
    format: PbDiffFormat[c.body.format],
    kind: PbContentKind[upper(c.body.kind)],
    sameContent: c.sameContent,
    body: bodyToPb(c.body),
  });
}

/**
 * How COMPARE_SNAPSHOTS output is stored: the unified diff and the HTML page as they are (so they
 * open in `patch` or a browser), every other format as the CompareResult message in proto3 JSON.
 */
export function encodeComparison(c: SnapshotComparison): EncodedComparison {
  const b = c.body;
  if (b.format === "UNIFIED") return { bytes: Buffer.from(b.text), mediaType: "text/x-diff; charset=utf-8", snapshotType: "BLOB" };
  if (b.format === "HTML") return { bytes: Buffer.from(b.html), mediaType: "text/html; charset=utf-8", snapshotType: "BLOB" };
  return { bytes: Buffer.from(toJsonString(CompareResultSchema, comparisonToPb(c))), mediaType: "application/json", snapshotType: "JSON" };
}

export function previewToPb(p: SnapshotPreview): PreviewSnapshotResponse {
  return create(PreviewSnapshotResponseSchema, {
    type: PbPreviewType[upper(p.kind)],
    mediaType: p.mediaType,
    text: p.text,
    truncated: p.truncated,
    redacted: p.redacted,
    redactedPaths: p.redactedPaths,
    redactions: p.redactions.map((r) => create(PreviewRedactionSchema, r)),
    members: (p.members ?? []).map((m) =>
      create(PreviewMemberSchema, { name: m.name, type: m.type, size: BigInt(m.size), mode: m.mode, linkname: m.linkname ?? "" }),
    ),
    totalBytes: BigInt(p.totalBytes),
    notes: p.notes,
  });
}
