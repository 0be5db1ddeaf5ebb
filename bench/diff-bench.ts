/**
 * Diff bench: two ~20 MB catalog versions (deterministic PRNG), 1% of products changed. Reports
 * the full JSON diff (parse both + diffJson with keyed arrays) as a ratio to parsing both
 * documents with JSON.parse. Each figure is the median of several runs after a warm-up.
 */
import { diffJson } from "../server/src/domain/diff/json-diff.js";
import { type BenchModule, median } from "./report.js";

/** mulberry32: a small deterministic PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "soft organic cotton linen merino wool blend relaxed fit tailored classic everyday jacket shirt dress " +
  "trousers sweater breathable lightweight durable water-resistant recycled handmade Lisbon Kyoto Zürich " +
  "café naïve façade crème brûlée 夏 冬 färg størrelse размер colour washed indigo stitched seams pockets"
).split(" ");
const SIZES = ["XS", "S", "M", "L", "XL"];
const COLORS = ["Indigo", "Sand", "Olive", "Black", "Crème", "Rouge"];

type Variant = Record<string, unknown> & { sku: string; price: string; inventory_quantity: number };
type Product = Record<string, unknown> & { id: string; variants: Variant[]; tags: string[]; description: string };

function words(rnd: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]);
  return out.join(" ");
}

function product(rnd: () => number, i: number): Product {
  const id = `prod_${String(i).padStart(6, "0")}`;
  const title = `${words(rnd, 3)} ${i}`;
  const nVariants = 3 + Math.floor(rnd() * 4);
  const variants: Variant[] = [];
  for (let v = 0; v < nVariants; v++) {
    const size = SIZES[v % SIZES.length];
    const color = COLORS[Math.floor(rnd() * COLORS.length)];
    variants.push({
      id: `var_${String(i).padStart(6, "0")}_${v}`,
      sku: `SKU-${String(i).padStart(6, "0")}-${v}`,
      title: `${size} / ${color}`,
      price: (10 + Math.floor(rnd() * 20000) / 100).toFixed(2),
      compare_at_price: rnd() < 0.3 ? (40 + Math.floor(rnd() * 20000) / 100).toFixed(2) : null,
      inventory_quantity: Math.floor(rnd() * 200),
      barcode: String(4000000000000 + Math.floor(rnd() * 999999999999)),
      weight_grams: 100 + Math.floor(rnd() * 2000),
      options: { size, color },
      sync_time: `2024-05-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z`,
    });
  }
  return {
    id,
    handle: title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "-"),
    title,
    description: words(rnd, 40 + Math.floor(rnd() * 40)),
    vendor: `Vendor ${Math.floor(rnd() * 50)}`,
    product_type: WORDS[Math.floor(rnd() * WORDS.length)],
    status: rnd() < 0.9 ? "active" : "draft",
    tags: Array.from({ length: 2 + Math.floor(rnd() * 5) }, () => WORDS[Math.floor(rnd() * WORDS.length)]),
    options: [
      { name: "Size", values: SIZES.slice(0, Math.min(nVariants, SIZES.length)) },
      { name: "Color", values: COLORS },
    ],
    variants,
    images: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) => ({
      id: `img_${i}_${k}`,
      src: `https://cdn.example.com/p/${id}/${k}.jpg`,
      alt: words(rnd, 4),
      position: k + 1,
    })),
    seo: { title: `${title} | Example`, description: words(rnd, 15) },
    updated_at: "2024-05-01T10:00:00Z",
  };
}

/** Applies one of several realistic edits to a product (in place). */
function mutate(rnd: () => number, p: Product): void {
  const v = p.variants[Math.floor(rnd() * p.variants.length)];
  switch (Math.floor(rnd() * 5)) {
    case 0:
      v.price = (Number(v.price) * 0.9).toFixed(2);
      break;
    case 1:
      v.inventory_quantity = Math.max(0, v.inventory_quantity - 1 - Math.floor(rnd() * 5));
      break;
    case 2:
      p.description = `${p.description} ${words(rnd, 6)}`;
      break;
    case 3:
      p.tags.push("sale");
      break;
    default:
      p.variants.push({ ...v, id: `${String(v.id)}_new`, sku: `${v.sku}-N`, inventory_quantity: 5 });
  }
  p.updated_at = "2024-06-01T12:00:00Z";
}

/**
 * Two catalog versions as JSON text: `products` products, of which `changedFraction` (at least
 * one) are edited in the right version. Deterministic for a given seed.
 */
export function catalogPair(products: number, changedFraction: number, seed = 42): { left: string; right: string; changed: number } {
  const rnd = prng(seed);
  const list: Product[] = [];
  for (let i = 0; i < products; i++) list.push(product(rnd, i));
  const doc = { store: { id: "store_demo", name: "Démo Store", currency: "EUR", locales: ["en", "de", "fr", "ja"] }, products: list };
  const left = JSON.stringify(doc);
  const changed = Math.max(1, Math.round(products * changedFraction));
  const picked = new Set<number>();
  while (picked.size < changed) picked.add(Math.floor(rnd() * products));
  for (const i of picked) mutate(rnd, list[i]);
  return { left, right: JSON.stringify(doc), changed };
}


function time(fn: () => void, runs: number): number {
  fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}

export const bench: BenchModule = {
  title: "JSON diff of two 20 MB catalog versions (1% of products changed)",
  async run(report) {
    const { left, right } = catalogPair(8_200, 0.01);
    const mb = (Buffer.byteLength(left) / 1e6).toFixed(1);
    const runs = 7;
    const parse = time(() => {
      JSON.parse(left);
      JSON.parse(right);
    }, runs);
    const baseline = { name: `JSON.parse both (${mb} MB each)`, value: parse };
    const keyed = time(() => {
      diffJson(JSON.parse(left), JSON.parse(right), { arrayMatchKey: ["id", "sku"] });
    }, runs);
    report({ name: "diff: parse + diffJson, arrayMatchKey id/sku", value: keyed, unit: "ms", baseline, ratio: keyed / parse });
    const positional = time(() => {
      diffJson(JSON.parse(left), JSON.parse(right));
    }, runs);
    report({ name: "diff: parse + diffJson, positional arrays", value: positional, unit: "ms", baseline, ratio: positional / parse });
  },
};
