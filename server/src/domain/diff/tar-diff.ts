import type { Sha256 } from "../digest.js";
import { memberText, readTar, type TarMember } from "./tar-read.js";
import { DEFAULT_CONTEXT, unifiedDiff } from "./text-diff.js";

/** Default size up to which members are compared as text. */
export const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024;

export interface TarMemberInfo {
  type: string;
  size: number;
  mode: number;
  digest: Sha256;
  linkname?: string;
}

/** A member that differs between the two archives. */
export interface TarMemberChange {
  name: string;
  status: "added" | "removed" | "changed";
  old?: TarMemberInfo;
  new?: TarMemberInfo;
  /** True when both sides (or the only side) are text within the size cap. */
  text: boolean;
  /** Unified diff of the content, for text members whose content differs (or was added/removed). */
  unified?: string;
}

export interface TarDiff {
  /** Changed, added and removed members, sorted by name. Unchanged members are only counted. */
  members: TarMemberChange[];
  counts: { added: number; removed: number; changed: number; unchanged: number };
}

/** A member pair with decoded texts, for the formats that render member content. */
export interface TarMemberPair {
  name: string;
  status: TarMemberChange["status"];
  left?: TarMember;
  right?: TarMember;
  oldText?: string;
  newText?: string;
}

export interface TarDiffOptions {
  context?: number;
  /** Members larger than this are compared by digest only (default 1 MiB). */
  maxTextBytes?: number;
}

const info = (m: TarMember): TarMemberInfo => ({
  type: m.type,
  size: m.size,
  mode: m.mode,
  digest: m.digest,
  ...(m.linkname !== undefined ? { linkname: m.linkname } : {}),
});

const sameMember = (a: TarMember, b: TarMember) =>
  a.type === b.type && a.mode === b.mode && a.linkname === b.linkname && a.digest.equals(b.digest);

/**
 * Pairs the members of two archives by name: a member is `changed` when its type, mode, link
 * target or content digest (SHA-256) differs. Texts are decoded for text members on each side.
 */
export async function pairTarMembers(left: Uint8Array, right: Uint8Array, maxTextBytes = DEFAULT_MAX_TEXT_BYTES) {
  const [lm, rm] = await Promise.all([
    readTar(left, { keepContentBytes: maxTextBytes }),
    readTar(right, { keepContentBytes: maxTextBytes }),
  ]);
  const rByName = new Map(rm.map((m) => [m.name, m]));
  const lByName = new Map(lm.map((m) => [m.name, m]));
  const names = [...new Set([...lByName.keys(), ...rByName.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pairs: TarMemberPair[] = [];
  let unchanged = 0;
  for (const name of names) {
    const l = lByName.get(name);
    const r = rByName.get(name);
    if (l && r && sameMember(l, r)) {
      unchanged++;
      continue;
    }
    const status = !l ? "added" : !r ? "removed" : "changed";
    pairs.push({
      name,
      status,
      ...(l ? { left: l, oldText: memberText(l) } : {}),
      ...(r ? { right: r, newText: memberText(r) } : {}),
    });
  }
  return { pairs, unchanged };
}

/** True when every present side of the pair is text. */
export const isTextPair = (p: TarMemberPair) =>
  (p.left === undefined || p.oldText !== undefined) && (p.right === undefined || p.newText !== undefined);

/**
 * Per-member diff of two tar archives: added, removed and changed members (by content SHA-256,
 * type, mode and link target) with a unified diff for text members (valid UTF-8 without NUL, at
 * most `maxTextBytes`). Added or removed text members diff against /dev/null.
 */
export async function diffTar(left: Uint8Array, right: Uint8Array, opts: TarDiffOptions = {}): Promise<TarDiff> {
  const { pairs, unchanged } = await pairTarMembers(left, right, opts.maxTextBytes);
  const counts = { added: 0, removed: 0, changed: 0, unchanged };
  const members = pairs.map((p): TarMemberChange => {
    counts[p.status]++;
    const text = isTextPair(p);
    const contentDiffers = !p.left || !p.right || !p.left.digest.equals(p.right.digest);
    const unified =
      text && contentDiffers
        ? unifiedDiff(p.oldText ?? "", p.newText ?? "", {
            oldName: p.left ? p.name : undefined,
            newName: p.right ? p.name : undefined,
            context: opts.context ?? DEFAULT_CONTEXT,
          })
        : undefined;
    return {
      name: p.name,
      status: p.status,
      ...(p.left ? { old: info(p.left) } : {}),
      ...(p.right ? { new: info(p.right) } : {}),
      text,
      ...(unified ? { unified } : {}),
    };
  });
  return { members, counts };
}
