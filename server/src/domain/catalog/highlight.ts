/**
 * Highlight markup. The database marks matches with private-use characters (never HTML), and the
 * text becomes HTML here: escaped, with the marks turned into <em> and </em>. The searched text
 * itself cannot carry the marks: the repository removes them before ts_headline runs.
 */
export const MATCH_START = "\uE000";
export const MATCH_END = "\uE001";
export const FRAGMENT_SEPARATOR = "\uE002";
/** All three, for stripping them out of stored text. */
export const HIGHLIGHT_MARKS = MATCH_START + MATCH_END + FRAGMENT_SEPARATOR;
/** Excerpts per field. */
export const MAX_FRAGMENTS = 3;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The HTML excerpts of one field's ts_headline output, or undefined when nothing in it matched.
 * Unbalanced marks cannot occur in headline output; any stray one is dropped.
 */
export function highlightFragments(headline: string): string[] | undefined {
  if (!headline.includes(MATCH_START)) return undefined;
  return headline
    .split(FRAGMENT_SEPARATOR)
    .filter((f) => f.includes(MATCH_START))
    .slice(0, MAX_FRAGMENTS)
    .map((f) => {
      let html = "";
      let open = false;
      for (const part of f.trim().split(/([\uE000\uE001])/)) {
        if (part === MATCH_START && !open) (html += "<em>"), (open = true);
        else if (part === MATCH_END && open) (html += "</em>"), (open = false);
        else if (part !== MATCH_START && part !== MATCH_END) html += escapeHtml(part);
      }
      return open ? html + "</em>" : html;
    });
}
