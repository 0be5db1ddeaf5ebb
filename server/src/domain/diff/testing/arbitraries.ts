/** fast-check arbitraries shared by the diff property tests. */
import fc from "fast-check";

/** Object keys: mostly from a small set (so independent values share structure), plus pointer-hostile ones. */
export const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("id", "title", "price", "tags", "variants", "meta") },
  { weight: 2, arbitrary: fc.constantFrom("~", "/", "~1", "~0", "a/b", "c~d", "", "ü/ñ", "0", "-") },
  { weight: 1, arbitrary: fc.string({ maxLength: 6, unit: "binary" }) },
).filter((k) => k !== "__proto__");

const scalarArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("a", "b", "Crème", "👟", "<script>"),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** JSON values as JSON.parse makes them (plain objects, no undefined, no NaN), a few levels deep. */
export const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalarArb,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(keyArb, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

export interface Item {
  id: number;
  title: string;
  price: number;
  variants: { sku: string; stock: number }[];
  [k: string]: unknown;
}

const variantsArb = fc
  .uniqueArray(fc.constantFrom("S", "M", "L", "XL", "XXL"), { maxLength: 4 })
  .chain((skus) => fc.tuple(...skus.map((sku) => fc.record({ sku: fc.constant(sku), stock: fc.integer({ min: 0, max: 3 }) }))));

const itemArb = (id: number): fc.Arbitrary<Item> =>
  fc.record({
    id: fc.constant(id),
    title: fc.constantFrom("Linen Shirt", "Crème Tote", "Wool Scarf ❄"),
    price: fc.integer({ min: 1, max: 3 }),
    variants: variantsArb,
  });

/**
 * Two versions of a keyed list: the right keeps a shuffled subset of the left's items (some
 * edited), and adds new ones at random places.
 */
export const keyedPairArb: fc.Arbitrary<[Item[], Item[]]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 12 })
  .chain((ids) => fc.tuple(fc.constant(ids), fc.tuple(...ids.map(itemArb))))
  .chain(([ids, left]) =>
    fc.tuple(
      fc.constant(left),
      fc.shuffledSubarray(left),
      fc.uniqueArray(fc.integer({ min: 31, max: 40 }), { maxLength: 3 }).chain((newIds) => fc.tuple(...newIds.map(itemArb))),
      fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
      fc.array(itemArb(0), { minLength: ids.length, maxLength: ids.length }),
      fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    ),
  )
  .map(([left, kept, added, edit, replacements, positions]) => {
    const right = kept.map((it, i) => (edit[i] ? { ...replacements[i], id: it.id } : structuredClone(it)));
    added.forEach((it, i) => right.splice(positions[i] % (right.length + 1), 0, it));
    return [left, right];
  });

type Edit = { path: number[]; op: number; value: unknown; key: string };

const editArb: fc.Arbitrary<Edit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 4 }),
  op: fc.integer({ min: 0, max: 4 }),
  value: jsonArb,
  key: keyArb,
});

/** Applies one edit deep inside a value (a copy is edited): walks `path` choosing children, then edits there. */
function applyEdit(root: unknown, e: Edit): unknown {
  const doc = structuredClone(root);
  let node = doc;
  for (const step of e.path) {
    if (node === null || typeof node !== "object") break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const next = (node as Record<string, unknown>)[keys[step % keys.length]];
    if (next === null || typeof next !== "object") break;
    node = next;
  }
  if (node === null || typeof node !== "object") return e.value;
  if (Array.isArray(node)) {
    const i = node.length === 0 ? 0 : e.path.length % node.length;
    if (e.op === 0) node.splice(i, 0, e.value);
    else if (e.op === 1) node.splice(i, 1);
    else if (e.op === 2 && node.length > 1) node.push(...node.splice(i, 1));
    else node[i] = e.value;
  } else {
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (e.op === 1 && keys.length > 0) delete obj[keys[e.path.length % keys.length]];
    else obj[e.key] = e.value;
  }
  return doc;
}

/** A value and a copy with a few edits at random depths: pairs that share most of their structure. */
export const editedPairArb: fc.Arbitrary<[unknown, unknown]> = fc
  .tuple(jsonArb, fc.array(editArb, { minLength: 1, maxLength: 4 }))
  .map(([a, edits]) => [a, edits.reduce(applyEdit, a)]);
