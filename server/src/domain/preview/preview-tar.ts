import type { TarMember } from "../diff/tar-read.js";
import type { Redactor } from "../redaction/index.js";
import type { Redaction } from "./redaction.js";

/** One member of a tar preview. */
export interface TarPreviewMember {
  name: string;
  type: string;
  size: number;
  mode: number;
  linkname?: string;
}

const TYPE_CHAR: Record<string, string> = { directory: "d", symlink: "l", link: "h", "character-device": "c", "block-device": "b", fifo: "p" };

function modeString(type: string, mode: number): string {
  const rwx = (bits: number) => `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
  return `${TYPE_CHAR[type] ?? "-"}${rwx(mode >> 6)}${rwx(mode >> 3)}${rwx(mode)}`;
}

/**
 * The member list of a tar archive, `ls -l` style, at most `maxMembers` entries. Names and link
 * targets pass through the redactor when one is given (an e-mail address or a token in a path).
 */
export function previewTarMembers(
  members: TarMember[],
  opts: { maxMembers: number; redactor?: Redactor },
): { text: string; members: TarPreviewMember[]; redactions: Redaction[]; cut: boolean } {
  const redactions: Redaction[] = [];
  const clean = (s: string) => {
    if (!opts.redactor) return s;
    const r = opts.redactor.text(s);
    for (const h of r.hits) redactions.push({ path: `member:${r.text}`, reason: h.reason });
    return r.text;
  };
  const shown: TarPreviewMember[] = members.slice(0, opts.maxMembers).map((m) => ({
    name: clean(m.name),
    type: m.type,
    size: m.size,
    mode: m.mode & 0o777,
    ...(m.linkname !== undefined ? { linkname: clean(m.linkname) } : {}),
  }));
  const total = members.reduce((n, m) => n + m.size, 0);
  const width = String(Math.max(0, ...shown.map((m) => m.size))).length;
  const lines = [`${members.length} member${members.length === 1 ? "" : "s"}, ${total} bytes`];
  for (const m of shown) {
    lines.push(`${modeString(m.type, m.mode)} ${String(m.size).padStart(width)} ${m.name}${m.linkname !== undefined ? ` -> ${m.linkname}` : ""}`);
  }
  const cut = members.length > shown.length;
  if (cut) lines.push(`… ${members.length - shown.length} more members`);
  return { text: `${lines.join("\n")}\n`, members: shown, redactions, cut };
}
