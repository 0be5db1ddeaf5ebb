import { applyRule, matchesSelector, newestFirst } from "./rule-policy.js";
import type { Decision, EvaluatedRule, Reason, RetentionCandidate } from "./types.js";

const NOT_SELECTED: Reason = { kind: "NOT_SELECTED", description: "no enabled rule selects it for deletion" };
const PINNED: Reason = { kind: "PINNED", description: "pinned" };
const LOCKED: Reason = { kind: "LOCKED", description: "locked" };
const HELD: Reason = { kind: "LEGAL_HOLD", description: "on legal hold" };

/**
 * The protections every snapshot carries in itself: pin, lock, legal hold, live share links, and
 * being the latest version of its resource (`latestVersion` of its group, 0 for groups without a
 * resource id).
 */
export function ownProtections(c: RetentionCandidate, latestVersion: number): Reason[] {
  const reasons: Reason[] = [];
  if (c.pinned) reasons.push(PINNED);
  if (c.locked) reasons.push(LOCKED);
  if (c.held) reasons.push(HELD);
  if (latestVersion > 0 && c.version === latestVersion) {
    reasons.push({ kind: "LATEST_VERSION", description: `latest version (${c.version}) of ${c.resourceType}/${c.resourceId}` });
  }
  for (const id of c.liveShareIds) reasons.push({ kind: "SHARE_LINK", subjectId: id, description: `live share link ${id}` });
  return reasons;
}

/**
 * The retention algebra over one group: the ACTIVE snapshots of one resource (same resource_type
 * and resource_id; snapshots without a resource id form one group per type). `protections` adds
 * reasons from outside the snapshot rows (pending restores, approvals). Returns one decision per
 * snapshot, in the order of `group`:
 * - every enabled rule is applied to the snapshots it matches (held snapshots never match; pinned
 *   ones do not when the rule excludes pinned), newest first (`applyRule`);
 * - KEEP when a rule's keep clause or a protection keeps it (the reasons list those first, then the
 *   rule deletes they override); else DELETE when some rule selects it (the reasons are those
 *   rules); else KEEP because no rule selects it.
 * Lineage protection spans groups and is applied afterwards (`keepLineageParents`).
 */
export function evaluateGroup(
  group: readonly RetentionCandidate[],
  rules: readonly EvaluatedRule[],
  now: Date,
  protections: (c: RetentionCandidate) => readonly Reason[] = () => [],
): Decision[] {
  const ordered = [...group].sort(newestFirst);
  const latestVersion = group.length > 0 && group[0].resourceId !== "" ? group.reduce((m, c) => Math.max(m, c.version), 0) : 0;
  const keeps = new Map<string, Reason[]>();
  const selects = new Map<string, Reason[]>();
  const push = <V>(m: Map<string, V[]>, id: string, values: readonly V[]) => {
    if (values.length === 0) return;
    const list = m.get(id);
    if (list) list.push(...values);
    else m.set(id, [...values]);
  };
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const matched = ordered.filter((c) => !c.held && !(rule.excludePinned && c.pinned) && matchesSelector(rule, c));
    if (matched.length === 0) continue;
    const outcome = applyRule(rule, matched, now);
    for (const [id, reasons] of outcome.keeps) push(keeps, id, reasons);
    for (const [id, reason] of outcome.selects) push(selects, id, [reason]);
  }
  return group.map((c) => {
    const keeping = [...(keeps.get(c.id) ?? []), ...ownProtections(c, latestVersion), ...protections(c)];
    const deleting = selects.get(c.id) ?? [];
    if (keeping.length > 0) return { candidate: c, decision: "KEEP", reasons: [...keeping, ...deleting] };
    if (deleting.length > 0) return { candidate: c, decision: "DELETE", reasons: deleting };
    return { candidate: c, decision: "KEEP", reasons: [NOT_SELECTED] };
  });
}

/**
 * Flips to KEEP every DELETE decision whose snapshot is a lineage parent of a kept snapshot,
 * transitively: `parentsOfKept(ids)` returns, for each of `ids` that is a parent of an ACTIVE
 * snapshot outside `ids`, that child. Returns the decisions it flipped.
 */
export async function keepLineageParents(
  deletions: Map<string, Decision>,
  parentsOfKept: (ids: ReadonlySet<string>) => Promise<Map<string, string>>,
): Promise<Decision[]> {
  const flipped: Decision[] = [];
  for (;;) {
    if (deletions.size === 0) return flipped;
    const rescued = await parentsOfKept(new Set(deletions.keys()));
    let changed = false;
    for (const [parent, child] of rescued) {
      const d = deletions.get(parent);
      if (!d) continue;
      d.decision = "KEEP";
      d.reasons = [{ kind: "LINEAGE_PARENT", subjectId: child, description: `lineage parent of kept snapshot ${child}` }, ...d.reasons];
      deletions.delete(parent);
      flipped.push(d);
      changed = true;
    }
    if (!changed) return flipped;
  }
}
