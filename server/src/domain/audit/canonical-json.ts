/**
 * Canonical JSON: one byte-exact serialization per value, used wherever a hash is taken over
 * structured data (audit chain, request fingerprints).
 *
 * For plain JSON values this is RFC 8785 (JCS): no whitespace; object keys sorted by UTF-16 code
 * units; strings escaped as `JSON.stringify` does (lone surrogates as `\uXXXX`); numbers in the
 * ECMAScript shortest round-trip form (`1e21`, `0.1`, `-0` → `0`). Extensions, chosen so values read
 * back from a JSON column hash the same as the originals where possible:
 * - object properties whose value is `undefined` are omitted; `undefined` array elements become `null`
 *   (both as `JSON.stringify`);
 * - values with a `toJSON` method (e.g. `Date` → ISO 8601 string) are replaced by its result;
 * - `bigint` → its decimal digits as a JSON number (`1n` and `1` serialize alike);
 * - `Uint8Array` → standard base64 string with padding (the protobuf JSON mapping for bytes);
 * - only own enumerable string keys are serialized (see `isPlainObject` for accepted objects).
 * Rejected with TypeError: non-finite numbers, functions, symbols, `Map`/`Set` and other
 * non-plain objects without `toJSON`, cycles, and `undefined` at the top level.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, new Set());
  return out.join("");
}

function write(value: unknown, out: string[], stack: Set<object>): void {
  if (value === null) return void out.push("null");
  switch (typeof value) {
    case "boolean":
      return void out.push(value ? "true" : "false");
    case "string":
      return void out.push(JSON.stringify(value));
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      return void out.push(JSON.stringify(value));
    case "bigint":
      return void out.push(value.toString(10));
    case "undefined":
      throw new TypeError("canonical JSON cannot encode undefined");
    case "function":
    case "symbol":
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
  const obj = value as object;
  if (obj instanceof Uint8Array) return void out.push(JSON.stringify(Buffer.from(obj).toString("base64")));
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    return write((obj as { toJSON(): unknown }).toJSON(), out, stack);
  }
  if (stack.has(obj)) throw new TypeError("canonical JSON cannot encode a cycle");
  stack.add(obj);
  if (Array.isArray(obj)) {
    out.push("[");
    obj.forEach((item, i) => {
      if (i > 0) out.push(",");
      write(item === undefined ? null : item, out, stack);
    });
    out.push("]");
  } else {
    if (!isPlainObject(obj)) throw new TypeError("canonical JSON cannot encode a class instance, Map or Set");
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 requires.
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    out.push("{");
    keys.forEach((k, i) => {
      if (i > 0) out.push(",");
      out.push(JSON.stringify(k), ":");
      write(record[k], out, stack);
    });
    out.push("}");
  }
  stack.delete(obj);
}

/**
 * Plain objects, `Object.create(null)`, and objects whose prototype chain holds only plain objects
 * (protobuf-es uses such a chain for field defaults; only own properties are serialized). Class
 * instances, `Map`, `Set` and the like have a prototype with its own `constructor` and are refused.
 */
export function isPlainObject(obj: object): boolean {
  for (let p = Object.getPrototypeOf(obj); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, "constructor")) return false;
  }
  return true;
}
