import { create, ScalarType, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";

/**
 * Malformed request messages for a method's input schema, found by walking the schema with
 * protobuf-es reflection: random bytes, valid messages with flipped bytes or cut short, Struct and
 * Value nesting past the decoder's recursion limit, invalid UTF-8 in string fields, and repeated
 * fields with very many elements.
 */

/** One step from a message into one of its fields; for a map field, into the entry's key or value. */
export interface Step {
  field: DescField;
  part?: "key" | "value";
}
export type FieldPath = Step[];

const MAX_PATH_DEPTH = 4;
const NESTING_TYPES = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

export const pathName = (path: FieldPath) => path.map((s) => s.field.name + (s.part ? `[${s.part}]` : "")).join(".");

/** Every path from `root` to a field `leaf` accepts (depth-bounded; a type is not entered again inside itself). */
function paths(root: DescMessage, leaf: (field: DescField, part?: "key" | "value") => boolean): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (desc: DescMessage, prefix: FieldPath, seen: Set<string>) => {
    for (const field of desc.fields) {
      const parts: ("key" | "value" | undefined)[] = field.fieldKind === "map" ? ["key", "value"] : [undefined];
      for (const part of parts) {
        const path = [...prefix, { field, part }];
        if (leaf(field, part)) out.push(path);
        const inner = part === "key" ? undefined : messageOf(field);
        if (inner && !seen.has(inner.typeName) && path.length < MAX_PATH_DEPTH) {
          walk(inner, path, new Set([...seen, inner.typeName]));
        }
      }
    }
  };
  walk(root, [], new Set([root.typeName]));
  return out;
}

function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  if (field.fieldKind === "map" && field.mapKind === "message") return field.message;
  return undefined;
}

/** Paths to every string: singular, repeated, oneof member, map key or value. */
export function stringPaths(root: DescMessage): FieldPath[] {
  return paths(root, (f, part) => {
    if (part === "key") return f.fieldKind === "map" && f.mapKey === ScalarType.STRING;
    if (part === "value") return f.fieldKind === "map" && f.mapKind === "scalar" && f.scalar === ScalarType.STRING;
    return (f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) && f.scalar === ScalarType.STRING;
  });
}

/** Paths to every google.protobuf.Struct, Value or ListValue field. */
export function nestingPaths(root: DescMessage): FieldPath[] {
  return paths(root, (f, part) => part !== "key" && NESTING_TYPES.has(messageOf(f)?.typeName ?? ""));
}

/** Paths to every repeated or map field. */
export function repeatedPaths(root: DescMessage): FieldPath[] {
  return paths(root, (f, part) => (f.fieldKind === "list" || f.fieldKind === "map") && part !== "value");
}

const ld = (fieldNo: number, bytes: Uint8Array) => new BinaryWriter().tag(fieldNo, WireType.LengthDelimited).bytes(bytes).finish();

/**
 * A message whose only content is the last field of `path`, as `field` encodes it (tag included),
 * wrapped in every step above it (a map step puts the inner message in an entry's value).
 */
export function atPath(path: FieldPath, field: (last: Step) => Uint8Array): Uint8Array {
  let bytes = field(path[path.length - 1]!);
  for (let i = path.length - 2; i >= 0; i--) {
    const step = path[i]!;
    bytes = ld(step.field.number, step.field.fieldKind === "map" ? ld(2, bytes) : bytes);
  }
  return bytes;
}

/** `step`'s field holding the length-delimited `payload`; for a map, one entry with it as key or value. */
function fieldBytes(step: Step, payload: Uint8Array): Uint8Array {
  if (step.field.fieldKind === "map") return ld(step.field.number, ld(step.part === "key" ? 1 : 2, payload));
  return ld(step.field.number, payload);
}

/** Byte sequences that are not UTF-8: stray continuation bytes, truncated sequences, overlongs, surrogates, 0xFF. */
export const invalidUtf8 = fc
  .tuple(
    fc.uint8Array({ maxLength: 8 }).map((b) => b.map((x) => x & 0x7f)),
    fc.constantFrom([0xff], [0xfe], [0x80], [0xc3, 0x28], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f]),
    fc.uint8Array({ maxLength: 8 }).map((b) => b.map((x) => x & 0x7f)),
  )
  .map(([a, bad, b]) => new Uint8Array([...a, ...bad, ...b]));

/** `path`'s string field holding `bad` (a map key or value inside its entry). */
export function invalidUtf8At(path: FieldPath, bad: Uint8Array): Uint8Array {
  return atPath(path, (last) => fieldBytes(last, bad));
}

/** A google.protobuf.Value nested `depth` times through list_value (Value.list_value = 6, ListValue.values = 1). */
function deepValue(depth: number): Uint8Array {
  let value: Uint8Array = new Uint8Array();
  for (let i = 0; i < depth; i++) value = ld(6, ld(1, value));
  return value;
}

/** `path`'s Struct / Value / ListValue field nested `depth` Values deep. */
export function deepAt(path: FieldPath, depth: number): Uint8Array {
  return atPath(path, (last) => {
    const type = messageOf(last.field)!.typeName;
    const value = deepValue(depth);
    const payload =
      type === "google.protobuf.Value" ? value : type === "google.protobuf.ListValue" ? ld(1, value) : ld(1, concatBytes([ld(1, new TextEncoder().encode("a")), ld(2, value)]));
    return fieldBytes(last, payload);
  });
}

/** `path`'s repeated or map field with `count` minimal elements (map entries get distinct keys where the key type allows). */
export function oversizedAt(path: FieldPath, count: number): Uint8Array {
  return atPath(path, (last) => {
    const f = last.field;
    const w = new BinaryWriter();
    if (f.fieldKind === "list" && f.listKind !== "message" && f.listKind !== "enum" && (f.scalar === ScalarType.STRING || f.scalar === ScalarType.BYTES)) {
      for (let i = 0; i < count; i++) w.tag(f.number, WireType.LengthDelimited).bytes(new Uint8Array());
    } else if (f.fieldKind === "list" && f.listKind !== "message") {
      const packed = new BinaryWriter();
      for (let i = 0; i < count; i++) packed.uint32(i & 0x7f);
      w.tag(f.number, WireType.LengthDelimited).bytes(packed.finish());
    } else if (f.fieldKind === "list") {
      for (let i = 0; i < count; i++) w.tag(f.number, WireType.LengthDelimited).bytes(new Uint8Array());
    } else if (f.fieldKind === "map") {
      for (let i = 0; i < count; i++) {
        const entry = new BinaryWriter();
        if (f.mapKey === ScalarType.STRING) entry.tag(1, WireType.LengthDelimited).string(`k${i}`);
        else if (f.mapKey !== ScalarType.BOOL) entry.tag(1, WireType.Varint).uint32(i);
        w.tag(f.number, WireType.LengthDelimited).bytes(entry.finish());
      }
    }
    return w.finish();
  });
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const SCALARS: Partial<Record<ScalarType, fc.Arbitrary<unknown>>> = {
  [ScalarType.STRING]: fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40, unit: "binary" }) },
    { weight: 1, arbitrary: fc.constantFrom("demo", "product", "sku-1", "0190f0c4-8a3e-7c2d-9b1a-3f4e5d6c7b8a", "a".repeat(300), "$.x", "vellum.v1.SnapshotService") },
  ),
  [ScalarType.BYTES]: fc.uint8Array({ maxLength: 64 }),
  [ScalarType.BOOL]: fc.boolean(),
  [ScalarType.INT32]: fc.integer(),
  [ScalarType.SINT32]: fc.integer(),
  [ScalarType.SFIXED32]: fc.integer(),
  [ScalarType.UINT32]: fc.integer({ min: 0, max: 0xffffffff }),
  [ScalarType.FIXED32]: fc.integer({ min: 0, max: 0xffffffff }),
  [ScalarType.INT64]: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  [ScalarType.SINT64]: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  [ScalarType.SFIXED64]: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  [ScalarType.UINT64]: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  [ScalarType.FIXED64]: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  [ScalarType.DOUBLE]: fc.double(),
  [ScalarType.FLOAT]: fc.float(),
};

const LONGS = new Set([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64, ScalarType.UINT64, ScalarType.FIXED64]);

function scalar(type: ScalarType, longAsString: boolean): fc.Arbitrary<unknown> {
  const arb = SCALARS[type]!;
  return longAsString && LONGS.has(type) ? arb.map(String) : arb;
}

const MAX_MESSAGE_DEPTH = 4;

/** Init objects for `create(desc, …)`: every field may be set, with any value its type allows. */
export function messageInit(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const value = fieldValue(field, depth);
    if (value) entries[field.localName] = value;
  }
  for (const oneof of desc.oneofs) {
    const cases = oneof.fields.flatMap((f) => {
      const value = fieldValue(f, depth);
      return value ? [value.map((v) => ({ case: f.localName, value: v }))] : [];
    });
    if (cases.length) entries[oneof.localName] = fc.oneof(...cases);
  }
  return fc.record(entries, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
}

function fieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> | undefined {
  const enumValue = (values: readonly { number: number }[]) => fc.oneof(fc.constantFrom(...values.map((v) => v.number)), fc.integer({ min: -3, max: 1000 }));
  const nested = (m: DescMessage) => (depth + 1 >= MAX_MESSAGE_DEPTH ? undefined : messageInit(m, depth + 1));
  switch (field.fieldKind) {
    case "scalar":
      return scalar(field.scalar, field.longAsString);
    case "enum":
      return enumValue(field.enum.values);
    case "message":
      return nested(field.message);
    case "list": {
      const item = field.listKind === "scalar" ? scalar(field.scalar, field.longAsString) : field.listKind === "enum" ? enumValue(field.enum.values) : nested(field.message);
      return item && fc.array(item, { maxLength: 3 });
    }
    case "map": {
      const value = field.mapKind === "scalar" ? scalar(field.scalar, false) : field.mapKind === "enum" ? enumValue(field.enum.values) : nested(field.message);
      const key = field.mapKey === ScalarType.STRING ? fc.string({ maxLength: 12 }) : field.mapKey === ScalarType.BOOL ? fc.constantFrom("true", "false") : fc.nat(1000).map(String);
      return value && fc.dictionary(key, value, { maxKeys: 3 });
    }
  }
}

/** A valid binary encoding of some `desc` message. */
export const validMessage = (desc: DescMessage) => messageInit(desc).map((init) => toBinary(desc, create(desc, init as never)));

/** A valid message with 1-4 bytes XORed with a non-zero value (an empty message stays a random byte). */
export const flippedMessage = (desc: DescMessage) =>
  fc
    .tuple(validMessage(desc), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([bytes, flips]) => {
      if (bytes.length === 0) return new Uint8Array([flips[0]![1]]);
      const out = bytes.slice();
      for (const [at, mask] of flips) out[at % out.length]! ^= mask;
      return out;
    });

/**
 * A valid message cut short by at least one byte. A message of at most one byte (every message of
 * a schema without fields) becomes a field 1 that promises 5 bytes and ends.
 */
export const truncatedMessage = (desc: DescMessage) =>
  fc.tuple(validMessage(desc), fc.nat()).map(([bytes, cut]) => (bytes.length > 1 ? bytes.subarray(0, cut % bytes.length) : new Uint8Array([0x0a, 0x05])));

export const randomBytes = fc.uint8Array({ maxLength: 512 });
