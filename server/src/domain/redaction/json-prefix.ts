/**
 * Parses a JSON document, or the beginning of one that was cut short (the head of a large
 * snapshot). Iterative, so nesting depth costs no stack. On a cut, the value being read when the
 * text ended (a string, a number, a literal, or a member name without its value) is left out
 * whole, and every open array and object is closed: no partial token reaches the result.
 */

export interface JsonPrefix {
  value: unknown;
  /** True when `text` held one whole JSON value (and nothing else but whitespace). */
  complete: boolean;
}

type Frame =
  | { kind: "array"; value: unknown[]; expect: "value" | "comma" }
  | { kind: "object"; value: Record<string, unknown>; key: string; expect: "key" | "colon" | "value" | "comma" };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
const LITERALS: [string, unknown][] = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Index of the quote that closes the JSON string opened at `at`, or -1 when the text ends first. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c) i++;
  }
  return -1;
}

/**
 * The value of `text` read as JSON, or as a JSON prefix; undefined when it is neither (a syntax
 * error before the end, or nothing but whitespace).
 */
export function parseJsonPrefix(text: string): JsonPrefix | undefined {
  const stack: Frame[] = [];
  let root: { value: unknown } | undefined;
  let i = 0;
  const put = (v: unknown) => {
    const top = stack.at(-1);
    if (top === undefined) root = { value: v };
    else if (top.kind === "array") {
      top.value.push(v);
      top.expect = "comma";
    } else {
      Object.defineProperty(top.value, top.key, { value: v, enumerable: true, writable: true, configurable: true });
      top.expect = "comma";
    }
  };
  const close = () => put(stack.pop()!.value);

  for (;;) {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
    if (i >= text.length) break;
    const c = text[i];
    const top = stack.at(-1);
    if (top === undefined && root !== undefined) return undefined; // text after the value
    if (top?.kind === "object" && top.expect !== "value") {
      if (top.expect === "key" && c === '"') {
        const end = stringEnd(text, i);
        if (end < 0) break;
        try {
          top.key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return undefined;
        }
        top.expect = "colon";
        i = end + 1;
      } else if (top.expect === "colon" && c === ":") {
        top.expect = "value";
        i++;
      } else if (top.expect === "comma" && c === ",") {
        top.expect = "key";
        i++;
      } else if (c === "}" && (top.expect === "comma" || Object.keys(top.value).length === 0)) {
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
    if (c === "{") {
      stack.push({ kind: "object", value: {}, key: "", expect: "key" });
      i++;
    } else if (c === "[") {
      stack.push({ kind: "array", value: [], expect: "value" });
      i++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) break;
      try {
        put(JSON.parse(text.slice(i, end + 1)));
      } catch {
        return undefined;
      }
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
  return root === undefined ? undefined : { value: root.value, complete };
}
