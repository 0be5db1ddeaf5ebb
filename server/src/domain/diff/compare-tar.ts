import type { DiffFormat, ResolvedCompareOptions } from "./compare-options.js";
import type { CompareResult } from "./compare-types.js";
import { renderHtmlDiff, type HtmlFileSection } from "./html-diff.js";
import { sideBySideRows } from "./side-by-side.js";
import { diffTar, isTextPair, pairTarMembers, type TarMemberPair } from "./tar-diff.js";
import { unifiedDiff, wordDiff } from "./text-diff.js";

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

/** What changed besides content: type, mode, link target. */
function metadataNotes(p: TarMemberPair): string[] {
  const notes: string[] = [];
  const { left: l, right: r } = p;
  if (l && r) {
    if (l.type !== r.type) notes.push(`type ${l.type} → ${r.type}`);
    if (l.mode !== r.mode) notes.push(`mode ${octal(l.mode)} → ${octal(r.mode)}`);
    if (l.linkname !== r.linkname) notes.push(`link target ${l.linkname ?? "(none)"} → ${r.linkname ?? "(none)"}`);
  }
  return notes;
}

const contentDiffers = (p: TarMemberPair) => !p.left || !p.right || !p.left.digest.equals(p.right.digest);

/** A one-line description of what changed besides text content, or undefined. */
function memberNote(p: TarMemberPair): string | undefined {
  const notes = metadataNotes(p);
  if (!isTextPair(p) && contentDiffers(p)) {
    const side = (m: TarMemberPair["left"]) => (m ? `${m.size} bytes, sha256 ${m.digest.toHex()}` : "absent");
    notes.push(`binary content ${p.status}: ${side(p.left)} → ${side(p.right)}`);
  }
  return notes.length > 0 ? notes.join("; ") : undefined;
}

/**
 * Compares two tar snapshots member by member in the requested format. UNIFIED concatenates the
 * members' unified diffs, with a "Binary files … differ" line for other content and a
 * "Member <name>: mode 0644 → 0755" line for type, mode or link changes.
 */
export async function compareTar(left: Uint8Array, right: Uint8Array, format: DiffFormat, o: ResolvedCompareOptions): Promise<CompareResult> {
  if (format === "JSON") {
    return { format, kind: "tar", diff: await diffTar(left, right, { context: o.context, maxTextBytes: o.maxTextBytes }) };
  }
  const { pairs, unchanged } = await pairTarMembers(left, right, o.maxTextBytes);
  const texts = pairs.filter(isTextPair);
  switch (format) {
    case "UNIFIED": {
      const parts = pairs.map((p) => {
        const meta = metadataNotes(p);
        const head = meta.length > 0 ? `Member ${p.name}: ${meta.join("; ")}\n` : "";
        if (isTextPair(p)) {
          return (
            head +
            unifiedDiff(p.oldText ?? "", p.newText ?? "", {
              oldName: p.left ? p.name : undefined,
              newName: p.right ? p.name : undefined,
              context: o.context,
            })
          );
        }
        const a = p.left ? `a/${p.name}` : "/dev/null";
        const b = p.right ? `b/${p.name}` : "/dev/null";
        return head + (contentDiffers(p) ? `Binary files ${a} and ${b} differ\n` : "");
      });
      return { format, kind: "tar", text: parts.join("") };
    }
    case "WORD":
      return {
        format,
        kind: "tar",
        fields: texts
          .filter((p) => (p.oldText ?? "") !== (p.newText ?? ""))
          .map((p) => ({ path: p.name, parts: wordDiff(p.oldText ?? "", p.newText ?? "") })),
      };
    case "HTML": {
      const counts = { added: 0, removed: 0, changed: 0, unchanged };
      const files: HtmlFileSection[] = pairs.map((p) => {
        counts[p.status]++;
        const note = memberNote(p);
        return {
          oldName: p.left ? p.name : undefined,
          newName: p.right ? p.name : undefined,
          ...(note ? { note } : {}),
          ...(isTextPair(p) ? { rows: sideBySideRows(p.oldText ?? "", p.newText ?? "", o.context) } : {}),
        };
      });
      return { format, kind: "tar", html: renderHtmlDiff({ title: o.title, counts, files }) };
    }
  }
}
