import { childPointer } from "./json-pointer.js";
import type { MatchState, PathMatcher } from "./path-glob.js";
import type { DiffCounts, JsonPatchOp, PathChange } from "./json-diff-types.js";

const EMPTY: MatchState = Object.freeze([]);

/**
 * Where a pair of values sits: `path` in the document being patched (always its right-document
 * position when its operations run), `leftPath` in the left document, and the ignore-matcher
 * states for both sides. Pointers are built on first use: most sites of a large diff never
 * need theirs.
 */
export class Site {
  private pathCache: string | undefined;
  private leftPathCache: string | undefined;

  constructor(
    readonly parent: Site | undefined,
    readonly token: string | number,
    readonly leftToken: string | number,
    readonly leftState: MatchState,
    readonly rightState: MatchState,
    readonly depth: number,
  ) {}

  get path(): string {
    return (this.pathCache ??= this.parent ? childPointer(this.parent.path, this.token) : "");
  }

  get leftPath(): string {
    return (this.leftPathCache ??= this.parent ? childPointer(this.parent.leftPath, this.leftToken) : "");
  }
}

/** Accumulates the patch and the summary while the diff walks both documents. */
export class DiffContext {
  readonly patch: JsonPatchOp[] = [];
  readonly changes: PathChange[] = [];
  readonly counts: DiffCounts = { added: 0, removed: 0, changed: 0, moved: 0 };

  constructor(
    readonly matcher: PathMatcher | undefined,
    readonly matchKeys: readonly string[],
    readonly maxDepth: number,
  ) {}

  rootSite(): Site {
    const root = this.matcher?.root ?? EMPTY;
    return new Site(undefined, "", "", root, root, 0);
  }

  step(state: MatchState, token: string | number): MatchState {
    return this.matcher && state.length > 0 ? this.matcher.step(state, token) : EMPTY;
  }

  ignored(state: MatchState): boolean {
    return state.length > 0 && this.matcher!.matched(state);
  }

  /** The site of a child reached through `rightToken` on the right and `leftToken` on the left. */
  child(site: Site, rightToken: string | number, leftToken: string | number = rightToken): Site {
    const leftState = this.step(site.leftState, leftToken);
    const rightState =
      site.leftState === site.rightState && leftToken === rightToken ? leftState : this.step(site.rightState, rightToken);
    return new Site(site, rightToken, leftToken, leftState, rightState, site.depth + 1);
  }

  added(path: string, value: unknown): void {
    this.patch.push({ op: "add", path, value });
    this.changes.push({ kind: "added", path, newValue: value });
    this.counts.added++;
  }

  /** A `remove` operation at `path`, a position in the document being patched. */
  removeOp(path: string): void {
    this.patch.push({ op: "remove", path });
  }

  /** The summary entry for a removed value; `leftPath` points into the left document. */
  removedEntry(leftPath: string, value: unknown): void {
    this.changes.push({ kind: "removed", path: leftPath, oldValue: value });
    this.counts.removed++;
  }

  removed(path: string, leftPath: string, value: unknown): void {
    this.removeOp(path);
    this.removedEntry(leftPath, value);
  }

  replaced(site: Site, oldValue: unknown, newValue: unknown): void {
    this.patch.push({ op: "replace", path: site.path, value: newValue });
    this.changes.push(
      site.leftPath === site.path
        ? { kind: "changed", path: site.path, oldValue, newValue }
        : { kind: "changed", path: site.path, from: site.leftPath, oldValue, newValue },
    );
    this.counts.changed++;
  }

  /** `from`/`to` are positions in the document being patched; the summary uses document paths. */
  moved(from: string, to: string, leftPath: string, rightPath: string): void {
    this.patch.push({ op: "move", from, path: to });
    this.changes.push({ kind: "moved", path: rightPath, from: leftPath });
    this.counts.moved++;
  }
}
