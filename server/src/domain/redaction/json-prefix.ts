/**
 * Parsing JSON for previews, bounded in depth: a document, or the beginning of one that was cut
 * short (the head of a large snapshot).
 * - On a cut, the value being read when the text ended (a string, a number, a literal, or a
 *   member name without its value) is left out whole and every open array and object is closed:
 *   no partial token reaches the result.
 * - Arrays and objects nested deeper than MAX_JSON_DEPTH are skipped by a bracket scan and
 *   replaced by the TOO_DEEP marker, so neither memory nor stack grows with the nesting.
 */

/** Arrays and objects nested deeper than this are replaced by TOO_DEEP. */
export const MAX_JSON_DEPTH = 256;
/** Stands for a value nested deeper than MAX_JSON_DEPTH. */
export const TOO_DEEP = "… nested too deep";

export interface JsonPrefix {
  value: unknown;
  /** True when the text held one whole JSON value (and nothing else but whitespace). */
  complete: boolean;
  /** True when a value nested deeper than MAX_JSON_DEPTH was replaced by TOO_DEEP. */
  deep: boolean;
}

type Frame =
  | { kind: "array"; value: unknown[]; expect: "value" | "comma" }
  | { kind: "object"; value: Record<string, unknown>; key: string; expect: "key" | "colon" | "value" | "comma"; empty: boolean };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: [string, unknown][] = [
  ["true", true],
  ["false", false],
  ["null", null],
];

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Index of the quote that closes the JSON string opened at `at`, or -1 when the text ends first. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c) i++;
  }
  return -1;
}

/** The string token text[at..end]; undefined when it is not a valid JSON string. */
function stringValue(text: string, at: number, end: number): string | undefined {
  const raw = text.slice(at + 1, end);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(at, end + 1)) as string;
  } catch {
    return undefined;
  }
}

/** The index after the array or object opened at `at`, or -1 when the text ends first. */
function containerEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      if (i < 0) return -1;
    } else if (c === 0x5b || c === 0x7b) depth++;
    else if ((c === 0x5d || c === 0x7d) && --depth === 0) return i + 1;
  }
  return -1;
}

/** The deepest nesting of arrays and objects in `text`, counted up to `limit + 1`. */
export function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      if (i < 0) return false;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * `text` read as one JSON document when `complete`, or as the head of one; undefined when it is
 * neither (a syntax error before the end, or nothing but whitespace).
 */
export function parseJson(text: string, complete: boolean): JsonPrefix | undefined {
  if (complete && !depthExceeds(text, MAX_JSON_DEPTH)) {
    try {
      return { value: JSON.parse(text) as unknown, complete: true, deep: false };
    } catch {
      return undefined;
    }
  }
  const p = parseJsonPrefix(text);
  if (complete) return p?.complete ? p : undefined;
  // A head that parses whole is still the head of longer content.
  return p === undefined ? undefined : { ...p, complete: false };
}

/** `text` read as JSON or as a JSON prefix (see the module comment); undefined when it is neither. */
export function parseJsonPrefix(text: string): JsonPrefix | undefined {
  const stack: Frame[] = [];
  let root: { value: unknown } | undefined;
  let deep = false;
  let i = 0;
  const put = (v: unknown) => {
    const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (top === undefined) root = { value: v };
    else if (top.kind === "array") {
      top.value.push(v);
      top.expect = "comma";
    } else {
      // Objects have no prototype, so a "__proto__" member is a member like any other.
      top.value[top.key] = v;
      top.empty = false;
      top.expect = "comma";
    }
  };
  const close = () => put(stack.pop()!.value);

  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) break;
    const c = text[i];
    const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (top === undefined && root !== undefined) return undefined; // text after the value
    if (top?.kind === "object" && top.expect !== "value") {
      if (top.expect === "key" && c === '"') {
        const end = stringEnd(text, i);
        if (end < 0) break;
        const key = stringValue(text, i, end);
        if (key === undefined) return undefined;
        top.key = key;
        top.expect = "colon";
        i = end + 1;
      } else if (top.expect === "colon" && c === ":") {
        top.expect = "value";
        i++;
      } else if (top.expect === "comma" && c === ",") {
        top.expect = "key";
        i++;
      } else if (c === "}" && (top.expect === "comma" || top.empty)) {
        i++;
        close();
      } else return undefined;
      continue;
    }
    if (top?.kind === "array" && (top.expect === "comma" || c === "]")) {
      if (c === "]" && (top.expect === "comma" || top.value.length === 0)) {
        i++;
        close();
      } else if (c === "," && top.expect === "comma") {
        top.expect = "value";
        i++;
      } else return undefined;
      continue;
    }
    // A value.
    if ((c === "{" || c === "[") && stack.length >= MAX_JSON_DEPTH) {
      const end = containerEnd(text, i);
      if (end < 0) break;
      deep = true;
      put(TOO_DEEP);
      i = end;
    } else if (c === "{") {
      stack.push({ kind: "object", value: Object.create(null) as Record<string, unknown>, key: "", expect: "key", empty: true });
      i++;
    } else if (c === "[") {
      stack.push({ kind: "array", value: [], expect: "value" });
      i++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) break;
      const value = stringValue(text, i, end);
      if (value === undefined) return undefined;
      put(value);
      i = end + 1;
    } else {
      NUMBER.lastIndex = i;
      const n = NUMBER.exec(text);
      if (n !== null) {
        if (NUMBER.lastIndex >= text.length) break; // the digits may go on past the cut
        put(Number(n[0]));
        i = NUMBER.lastIndex;
        continue;
      }
      const lit = LITERALS.find(([word]) => text.startsWith(word, i));
      if (lit !== undefined) {
        put(lit[1]);
        i += lit[0].length;
        continue;
      }
      if (LITERALS.some(([word]) => word.startsWith(text.slice(i)))) break; // "tru" at the cut
      return undefined;
    }
  }
  const complete = stack.length === 0 && root !== undefined;
  while (stack.length > 0) close();
  return root === undefined ? undefined : { value: root.value, complete, deep };
}
