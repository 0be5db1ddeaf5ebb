/**
 * A deterministic corpus of catalog snapshots with realistic commit messages, tags, labels and
 * annotations, for the search tests and the search bench. `corpusItems(n)` yields BatchCreate items
 * grouped by creator (created_by is the calling principal, so each group is sent by its creator).
 */
import { fromJson, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { CreateSnapshotRequestSchema } from "../../../gen/vellum/v1/snapshot_service_pb.js";

export type CorpusItem = MessageInitShape<typeof CreateSnapshotRequestSchema>;

/** mulberry32: a small seeded PRNG, so every run builds the same corpus. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}

export const CREATORS = ["alice@example.com", "bob@example.com", "pim-sync", "catalog-importer", "nightly-job"] as const;
const MATERIALS = ["Oak", "Walnut", "Velvet", "Linen", "Marble", "Rattan", "Steel", "Bamboo", "Leather", "Teak"];
const ITEMS = ["Chair", "Table", "Sofa", "Lamp", "Shelf", "Desk", "Stool", "Bench", "Cabinet", "Mirror", "Rug", "Armchair"];
const ROOMS = ["Dining", "Office", "Garden", "Kitchen", "Bedroom", "Lounge"];
const SEASONS = ["summer", "winter", "spring", "autumn", "Black Friday"];
const SUPPLIERS = ["Nordic Home", "Atlas Furnishings", "Casa Verde", "Hollis & Vane"];
const CHANNELS = ["web", "pos", "marketplace"];
const LOCALES = ["en-GB", "de-DE", "fr-FR", "nl-NL"];
const WAREHOUSES = ["Rotterdam", "Leipzig", "Lyon"];
export const CORPUS_TAGS = ["sale", "summer", "winter", "release/2024-06", "release/2024-07", "import", "hotfix", "nightly", "eu", "us", "draft", "approved"];
const TYPES: { type: string; weight: number; kind: SnapshotType }[] = [
  { type: "product", weight: 50, kind: SnapshotType.JSON },
  { type: "category", weight: 10, kind: SnapshotType.JSON },
  { type: "price_list", weight: 12, kind: SnapshotType.JSON },
  { type: "pim_content", weight: 15, kind: SnapshotType.ASSET },
  { type: "store_config", weight: 8, kind: SnapshotType.JSON },
  { type: "search_index", weight: 5, kind: SnapshotType.INDEX },
];
const MESSAGES = [
  (n: string, r: ReturnType<typeof prng>) => `Update price of ${n} for ${r.pick(SEASONS)} sale`,
  (n: string) => `Fix typo in ${n} description`,
  (n: string, r: ReturnType<typeof prng>) => `Add ${r.pick(LOCALES)} translation for ${n}`,
  (_: string, r: ReturnType<typeof prng>) => `Import ${10 + r.int(500)} products from ${r.pick(SUPPLIERS)} feed`,
  (n: string) => `Rebuild search index after ${n} rename`,
  (n: string) => `Restore ${n} from backup after bad publish`,
  (n: string, r: ReturnType<typeof prng>) => `Change stock level of ${n} in ${r.pick(WAREHOUSES)} warehouse`,
  (n: string, r: ReturnType<typeof prng>) => `Publish ${n} to ${r.pick(CHANNELS)} channel`,
];
const NOTES = [
  (n: string, r: ReturnType<typeof prng>) => `Reviewed by merchandising: ${n} approved for ${r.pick(CHANNELS)}`,
  (n: string) => `Customer complaint about the ${n} colour swatch, photos retaken`,
  () => "Legal hold requested by compliance until the audit closes",
  (_: string, r: ReturnType<typeof prng>) => `Price verified against ${r.pick(SUPPLIERS)} invoice`,
];

export interface Corpus {
  /** Items to create, grouped by creator (each group in batches of at most 1000). */
  groups: { creator: string; items: CorpusItem[] }[];
  /** Annotation texts for item positions (global order: groups concatenated). */
  annotations: { position: number; message: string }[];
}

export function buildCorpus(n: number, seed = 20): Corpus {
  const r = prng(seed);
  const totalWeight = TYPES.reduce((s, t) => s + t.weight, 0);
  const groups = CREATORS.map((creator) => ({ creator, items: [] as CorpusItem[] }));
  const annotations: Corpus["annotations"] = [];
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = r.int(totalWeight);
    const t = TYPES.find((x) => (w -= x.weight) < 0)!;
    const name = `${r.pick(MATERIALS)} ${r.pick(ROOMS)} ${r.pick(ITEMS)}`;
    const resourceId = t.type === "product" ? `sku-${name.toLowerCase().replaceAll(" ", "-")}-${r.int(400)}` : `${t.type.replace("_", "-")}-${r.int(60)}`;
    const tags = [...new Set(Array.from({ length: r.int(4) }, () => r.pick(CORPUS_TAGS)))];
    const item: CorpusItem = {
      resourceType: t.type,
      resourceId,
      snapshotType: t.kind,
      tags,
      labels: { channel: r.pick(CHANNELS), locale: r.pick(LOCALES), supplier: r.pick(SUPPLIERS) },
      metadata: { commitMessage: r.pick(MESSAGES)(name, r) },
      payload:
        t.kind === SnapshotType.JSON
          ? { case: "json", value: fromJson(ValueSchema, { name, price: 10 + r.int(990), stock: r.int(100) }) }
          : { case: "data", value: Buffer.from(`${t.type}:${name}:${i}`) },
    };
    groups[r.int(groups.length)].items.push(item);
    names.push(name);
    if (r.next() < 0.05) annotations.push({ position: -1, message: r.pick(NOTES)(name, r) });
  }
  // Positions in the concatenated group order (the order the test creates them in).
  const order = groups.flatMap((g) => g.items);
  let k = 0;
  for (const a of annotations) a.position = Math.min(order.length - 1, Math.floor((k++ * order.length) / annotations.length) + 7);
  return { groups, annotations };
}
