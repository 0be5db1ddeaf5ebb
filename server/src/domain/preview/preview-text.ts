import { mask, redactValues } from "./detectors.js";
import { KEY_MASK, type Redaction } from "./redaction.js";

/**
 * The head of a `name = value` / `name: value` pair in text (.env, YAML, INI, HTTP headers,
 * query strings, JSON lines); the name may be quoted. Only the head is matched, so pairs nested in
 * another pair's value (`url=https://x/?token=…`) are found too.
 */
const PAIR_HEAD = /(["']?)([A-Za-z_][\w.-]{0,127})\1([ \t]*[:=][ \t]*)/g;
/** A quoted value runs to its closing quote; an unquoted one to the end of the line or the next `&`, `,` or `;`. */
const VALUE = /"([^"\n]*)"|'([^'\n]*)'|([^\s&,;][^\n&,;]*)/y;

/**
 * Masks secrets in one line of text: values of pairs whose name matches a key pattern, then
 * detected values (PEM, JWT, email, card, phone) anywhere in the line.
 */
export function redactLine(line: string, lineNo: number, isSecretKey: (key: string) => boolean, out: Redaction[]): string {
  let hit = false;
  let text = "";
  let from = 0;
  PAIR_HEAD.lastIndex = 0;
  for (let m = PAIR_HEAD.exec(line); m !== null; m = PAIR_HEAD.exec(line)) {
    if (!isSecretKey(m[2])) continue;
    VALUE.lastIndex = PAIR_HEAD.lastIndex;
    const v = VALUE.exec(line);
    if (v === null || (v[1] ?? v[2] ?? v[3]).trim() === "") continue;
    hit = true;
    const shown = v[1] !== undefined ? `"${KEY_MASK}"` : v[2] !== undefined ? `'${KEY_MASK}'` : KEY_MASK;
    text += line.slice(from, PAIR_HEAD.lastIndex) + shown;
    from = PAIR_HEAD.lastIndex = VALUE.lastIndex;
  }
  text += line.slice(from);
  if (hit) out.push({ path: `line:${lineNo}`, reason: "key" });
  const r = redactValues(text);
  for (const kind of r.kinds) out.push({ path: `line:${lineNo}`, reason: kind });
  return r.text;
}

/**
 * The first `maxLines` lines of `text` (and no more than `maxChars` characters of them, a margin
 * above the byte limit so that a secret crossing the final cut is still seen whole), redacted
 * when `isSecretKey` is given. A PEM block is detected across lines, and each of its lines masked.
 */
export function previewText(
  text: string,
  opts: { maxLines: number; maxChars: number; isSecretKey?: (key: string) => boolean },
): { text: string; redactions: Redaction[]; cut: boolean } {
  let head = text.length > opts.maxChars ? text.slice(0, opts.maxChars) : text;
  let cut = head.length < text.length;
  const lines = head.split("\n");
  if (lines.length > opts.maxLines) {
    lines.length = opts.maxLines;
    cut = true;
  }
  const redactions: Redaction[] = [];
  if (!opts.isSecretKey) return { text: lines.join("\n"), redactions, cut };
  // PEM blocks span lines: mask them on the joined head first, line for line so that line
  // numbers stay those of the content, recording the line each block starts on.
  head = lines.join("\n");
  const pem = /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g;
  head = head.replace(pem, (m: string, offset: number) => {
    redactions.push({ path: `line:${head.slice(0, offset).split("\n").length}`, reason: "pem" });
    return m
      .split("\n")
      .map(() => mask("pem"))
      .join("\n");
  });
  const isSecretKey = opts.isSecretKey;
  const out = head.split("\n").map((line, i) => redactLine(line, i + 1, isSecretKey, redactions));
  const lineOf = (r: Redaction) => Number(r.path.slice("line:".length));
  redactions.sort((a, b) => lineOf(a) - lineOf(b));
  return { text: out.join("\n"), redactions, cut };
}
