/**
 * RFC 6901 JSON Pointers. A path is a list of reference tokens; array indices are numbers.
 * `formatPointer([])` is the root pointer "" and every token is escaped (`~` as `~0`, `/` as `~1`).
 */
export type PathToken = string | number;

/** Escapes one reference token: `~` becomes `~0`, then `/` becomes `~1`. */
export const escapeToken = (token: string): string => token.replace(/~/g, "~0").replace(/\//g, "~1");

/** Undoes `escapeToken` (`~1` to `/` first, then `~0` to `~`, as RFC 6901 requires). */
export const unescapeToken = (token: string): string => token.replace(/~1/g, "/").replace(/~0/g, "~");

/** Formats a token path as a JSON Pointer; the empty path is the whole document (""). */
export function formatPointer(path: readonly PathToken[]): string {
  let out = "";
  for (const t of path) out += "/" + (typeof t === "number" ? String(t) : escapeToken(t));
  return out;
}

/**
 * Parses a JSON Pointer into unescaped string tokens. Returns undefined for a non-empty pointer
 * that does not start with "/" or that holds a `~` not followed by `0` or `1`.
 */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  const raw = pointer.slice(1).split("/");
  if (raw.some((t) => /~(?![01])/.test(t))) return undefined;
  return raw.map(unescapeToken);
}

/** Appends one token to a JSON Pointer, escaping `~` and `/` (fast path for plain keys). */
export function childPointer(ptr: string, token: string | number): string {
  if (typeof token === "number") return `${ptr}/${token}`;
  if (token.includes("~") || token.includes("/")) return `${ptr}/${escapeToken(token)}`;
  return `${ptr}/${token}`;
}
