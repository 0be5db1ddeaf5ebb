/** Composition of snapshots (ComposeService). */

export const COMPOSE_STRATEGIES = ["OVERLAY", "UNION", "PATCH"] as const;
export type ComposeStrategy = (typeof COMPOSE_STRATEGIES)[number];

/** Who wins a conflict; LATEST is RIGHT over parents ordered by create time. */
export const CONFLICT_RESOLUTIONS = ["PREFER_LEFT", "PREFER_RIGHT", "LATEST", "MANUAL"] as const;
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];

/** Winner of a conflict once LATEST is turned into an order: the earlier or the later parent; "none" records the conflict instead. */
export type Prefer = "left" | "right" | "none";

export const preferOf = (r: ConflictResolution): Prefer => (r === "PREFER_LEFT" ? "left" : r === "MANUAL" ? "none" : "right");

/** One place where parents disagree. */
export interface ComposeConflict {
  /** A JSON pointer (RFC 6901) into the composed document, or a tar member path. */
  path: string;
  /** Positions (0-based, in composition order) of the parents that disagree. */
  parents: number[];
  /** What the disagreement is, for people. */
  reason: string;
}

export interface ComposeOutcome<T> {
  value: T;
  conflicts: ComposeConflict[];
}
