import { create, fromJson, toJsonString, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { EventSchema, type Event as PbEvent, type EventFilter as PbEventFilter } from "../../../gen/vellum/v1/event_pb.js";
import type { RawEventFilter } from "../domain/events/event-use-cases.js";
import type { StoredEvent } from "../domain/events/types.js";
import { ts } from "./convert.js";

export function eventToPb(e: StoredEvent): PbEvent {
  return create(EventSchema, {
    eventId: BigInt(e.seq),
    storeId: e.storeId,
    type: e.type,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    snapshotId: e.snapshotId ?? "",
    actor: e.actor,
    createTime: ts(e.time),
    data: fromJson(ValueSchema, (e.data ?? null) as JsonValue),
    subjectResourceType: e.subjectResourceType,
    tags: [...e.tags],
  });
}

/** The event as a webhook body: proto3 JSON of vellum.v1.Event. */
export const eventToJson = (e: StoredEvent): string => toJsonString(EventSchema, eventToPb(e));

export const filterFromPb = (f: PbEventFilter | undefined): RawEventFilter | undefined =>
  f && { types: f.types, resourceType: f.resourceType, tags: f.tags };
