import { invalidField } from "../errors.js";
import { EVENT_TYPES } from "./event-types.js";

/** One event of a store's outbox (see proto/vellum/v1/event.proto for the public contract). */
export interface StoredEvent {
  /** Cursor: the audit seq of the change; increases with commit order per store. */
  readonly seq: number;
  /** Stable id (the audit event's UUID); the webhook-id of its deliveries. */
  readonly id: string;
  readonly storeId: string;
  readonly type: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly snapshotId: string | null;
  /** Resource type of the concerned snapshot (or of the resource itself); "" when unknown. */
  readonly subjectResourceType: string;
  /** Tags of the concerned snapshot when the event was written. */
  readonly tags: readonly string[];
  readonly actor: string;
  readonly time: Date;
  /** State after the change (before it, for deletions), plain JSON. */
  readonly data: unknown;
}

/** Which events a reader wants; empty fields match everything. */
export interface EventFilter {
  /** Exact types or "prefix.*". */
  readonly types: readonly string[];
  readonly resourceType: string;
  /** Any of these tags. */
  readonly tags: readonly string[];
}

export const MAX_FILTER_ENTRIES = 32;

/** True when `e` passes `f`. */
export function matchesFilter(e: Pick<StoredEvent, "type" | "subjectResourceType" | "tags">, f: EventFilter): boolean {
  if (f.types.length && !f.types.some((t) => (t.endsWith(".*") ? e.type.startsWith(t.slice(0, -1)) : e.type === t))) return false;
  if (f.resourceType && e.subjectResourceType !== f.resourceType) return false;
  if (f.tags.length && !f.tags.some((t) => e.tags.includes(t))) return false;
  return true;
}

/** Request field names of a filter's parts, for errors. */
export interface FilterFields {
  types: string;
  resourceType: string;
  tags: string;
}

/** Field names of a filter message at `prefix` (e.g. "filter" -> "filter.types"). */
export const filterFields = (prefix: string): FilterFields => ({ types: `${prefix}.types`, resourceType: `${prefix}.resource_type`, tags: `${prefix}.tags` });

/**
 * A filter checked for sense: at most MAX_FILTER_ENTRIES types and tags; every type is a known
 * event type or a prefix of one followed by ".*". Errors name the fields of `field`.
 */
export function parseEventFilter(raw: { types?: readonly string[]; resourceType?: string; tags?: readonly string[] } | undefined, field: FilterFields): EventFilter {
  const types = [...new Set(raw?.types ?? [])];
  const tags = [...new Set(raw?.tags ?? [])];
  if (types.length > MAX_FILTER_ENTRIES) throw invalidField(field.types, `at most ${MAX_FILTER_ENTRIES} entries`);
  if (tags.length > MAX_FILTER_ENTRIES) throw invalidField(field.tags, `at most ${MAX_FILTER_ENTRIES} entries`);
  for (const t of types) {
    const known = t.endsWith(".*") ? EVENT_TYPES.some((k) => k.startsWith(t.slice(0, -1))) : EVENT_TYPES.includes(t);
    if (!known) throw invalidField(field.types, `unknown event type "${t.slice(0, 64)}"; known: ${EVENT_TYPES.join(", ")}`);
  }
  if (tags.some((t) => t.length === 0 || t.length > 128)) throw invalidField(field.tags, "tags are 1-128 characters");
  const resourceType = raw?.resourceType ?? "";
  if (resourceType.length > 128) throw invalidField(field.resourceType, "at most 128 characters");
  return { types, resourceType, tags };
}
