/**
 * The built `vellum` binary against the real server: `tag`, `annotate`, `search`, `lineage` and
 * `consume`. Compose and restore edges are seeded through the server's lineage recorder as those
 * jobs record them; everything else goes through the CLI.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startSecureServer, type SecureServer } from "../../server/test/support/security-fixtures.js";
import { tempDir } from "../../server/test/support/test-server.js";
import { EXIT } from "../src/exit-codes.js";
import { buildCli, runVellum } from "./support/run-cli.js";

interface Ctx {
  srv: SecureServer;
  dir: { path: string; remove(): void };
  env: Record<string, string>;
  /** Snapshot ids by name. */
  ids: Record<string, string>;
}
const test = suite<Ctx>("vellum CLI: tag, annotate, search, lineage (built binary, real server)", {} as Ctx);
const STORE = "cli-cat";

async function push(ctx: Ctx, resource: string, doc: unknown, message: string): Promise<string> {
  const file = join(ctx.dir.path, "doc.json");
  writeFileSync(file, JSON.stringify(doc));
  const r = await runVellum(["push", file, "--resource", resource, "--type", "json", "--message", message, "--json"], ctx.env);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).snapshotId;
}

test.before(async (ctx) => {
  buildCli();
  ctx.srv = await startSecureServer();
  ctx.dir = tempDir("vellum-cli-cat-");
  ctx.env = { VELLUM_SERVER: ctx.srv.server.baseUrl, VELLUM_STORE: STORE, VELLUM_API_KEY: ctx.srv.adminKey, XDG_CONFIG_HOME: join(ctx.dir.path, "config") };
  ctx.ids = {};
  ctx.ids.sku1 = await push(ctx, "product/sku-1", { name: "Chair", price: 49 }, "walnut Chair, first listing");
  ctx.ids.sku2 = await push(ctx, "product/sku-1", { name: "Chair", price: 59 }, "walnut Chair price change");
  ctx.ids.hero = await push(ctx, "asset/hero", { src: "hero.png" }, "hero image for the chair page");
  ctx.ids.bundle = await push(ctx, "bundle/home", { sku: "sku-1", hero: "hero.png" }, "home page bundle");
  const snap = (id: string) => ({ kind: "SNAPSHOT" as const, id });
  const resource = { kind: "RESOURCE" as const, id: "cms/bundle/home" };
  await ctx.srv.server.services.lineage.record([
    { storeId: STORE, kind: "COMPOSED_FROM", from: snap(ctx.ids.sku2), to: snap(ctx.ids.bundle), ordinal: 0 },
    { storeId: STORE, kind: "COMPOSED_FROM", from: snap(ctx.ids.hero), to: snap(ctx.ids.bundle), ordinal: 1 },
    { storeId: STORE, kind: "RESTORED_FROM", from: snap(ctx.ids.bundle), to: resource, note: "cms" },
    { storeId: STORE, kind: "CAPTURED_FROM", from: resource, to: snap(ctx.ids.bundle) },
  ]);
});
test.after(async (ctx) => {
  await ctx.srv?.close();
  ctx.dir?.remove();
});

test("tag add, rm and ls with live counts", async ({ env }) => {
  const added = await runVellum(["tag", "add", "product/sku-1", "sale", "summer", "--json"], env);
  assert.is(added.code, 0, added.stderr);
  assert.equal(JSON.parse(added.stdout).tags, ["sale", "summer"]);
  assert.is((await runVellum(["tag", "add", "asset/hero", "sale"], env)).code, 0);
  const removed = await runVellum(["tag", "rm", "product/sku-1", "summer"], env);
  assert.match(removed.stdout, /^tags \[sale\] on /);
  const ls = await runVellum(["tag", "ls", "--json"], env);
  assert.equal(JSON.parse(ls.stdout), [{ tag: "sale", count: "2" }]);
  const table = await runVellum(["tag", "ls"], env);
  assert.match(table.stdout, /sale\s+│\s+2/);
  const bad = await runVellum(["tag", "add", "product/sku-1", "bad tag!"], env);
  assert.is(bad.code, EXIT.INVALID_ARGUMENT);
});

test("annotate add (argument or standard input) and ls, newest first", async ({ env }) => {
  assert.is((await runVellum(["annotate", "add", "product/sku-1", "approved by pricing", "--author", "qa"], env)).code, 0);
  const fromStdin = await runVellum(["annotate", "add", "product/sku-1", "-"], env, "shipped to the zanzibar warehouse\n");
  assert.is(fromStdin.code, 0, fromStdin.stderr);
  const ls = await runVellum(["annotate", "ls", "product/sku-1", "--json"], env);
  const notes = JSON.parse(ls.stdout) as { message: string; authorId: string }[];
  assert.equal(notes.map((n) => n.message), ["shipped to the zanzibar warehouse", "approved by pricing"]);
  assert.is(notes[1].authorId, "qa");
  const table = await runVellum(["annotate", "ls", "product/sku-1"], env);
  assert.match(table.stdout, /approved by pricing/);
});

test("search: scores, highlighted fields and facets; filters; --sample", async ({ env, ids }) => {
  const json = await runVellum(["search", "walnut", "chai", "--json"], env);
  assert.is(json.code, 0, json.stderr);
  const found = JSON.parse(json.stdout) as { totalSize: string; facets: { resourceTypes: { value: string; count: string }[] }; results: { score: number; snapshot: { snapshotId: string }; highlights: Record<string, { fragments: string[] }> }[] };
  assert.is(found.totalSize, "2");
  assert.equal(new Set(found.results.map((r) => r.snapshot.snapshotId)), new Set([ids.sku1, ids.sku2]));
  assert.ok(found.results.every((r) => r.score > 0 && r.highlights.commit_message.fragments[0].includes("<em>walnut</em>")));
  assert.equal(found.facets.resourceTypes, [{ value: "product", count: "2" }]);

  const table = await runVellum(["search", "zanzib"], env);
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /^1 match\n/);
  assert.match(table.stdout, /annotations: shipped to the \*zanzibar\* warehouse/, "highlights marked without colour off a terminal");
  assert.match(table.stdout, /facets\n {2}resource type {2}product 1\n/, table.stdout);

  const filtered = await runVellum(["search", "--tag", "sale", "--resource-type", "asset", "--json"], env);
  assert.equal((JSON.parse(filtered.stdout).results as { snapshot: { snapshotId: string } }[]).map((r) => r.snapshot.snapshotId), [ids.hero]);
  const sample = await runVellum(["search", "--sample", "--json"], env);
  assert.equal((JSON.parse(sample.stdout) as unknown[]).length, 3, "the newest snapshot of each of the three resources");
});

test("consume and lineage: a tree upstream and downstream, cycles shown once, --json", async ({ env, ids }) => {
  const consumed = await runVellum(["consume", "bundle/home", "cdn:eu", "--note", "published"], env);
  assert.is(consumed.stdout, `registered: ${ids.bundle} → cdn:eu\n`, consumed.stderr);
  assert.match((await runVellum(["consume", ids.bundle, "cdn:eu"], env)).stdout, /^already registered/);

  const tree = await runVellum(["lineage", ids.bundle], env);
  assert.is(tree.code, 0, tree.stderr);
  const lines = tree.stdout.trimEnd().split("\n");
  assert.match(lines[0], new RegExp(`^snapshot ${ids.bundle} bundle/home@1 json "home page bundle"$`));
  for (const want of [
    `← COMPOSED_FROM snapshot ${ids.sku2} product/sku-1@2 json "walnut Chair price change"`,
    `← COMPOSED_FROM snapshot ${ids.hero} asset/hero@1 json`,
    `← CAPTURED_FROM resource cms/bundle/home`,
    `→ VERSION_OF version bundle/home@1 by `,
    `→ CONSUMED_BY consumer cdn:eu "published"`,
    `→ RESTORED_FROM resource cms/bundle/home "cms"`,
  ]) {
    assert.ok(lines.some((l) => l.includes(want)), `missing ${want}\n${tree.stdout}`);
  }
  assert.ok(lines.some((l) => /^│? +└─ → CAPTURED_FROM snapshot .* \(root\)$/.test(l) || l.includes(`CAPTURED_FROM snapshot ${ids.bundle}`)), "the cycle back to the root is named, not followed");
  assert.match(lines[lines.length - 1], /^\d+ nodes, \d+ edges$/);

  const down = await runVellum(["lineage", "product/sku-1", "--direction", "downstream", "--depth", "1"], env);
  assert.match(down.stdout, new RegExp(`→ COMPOSED_FROM snapshot ${ids.bundle}`));
  assert.not.match(down.stdout, /CONSUMED_BY/, "depth 1 stops at the composition");

  const json = await runVellum(["lineage", "bundle/home", "--json"], env);
  const g = JSON.parse(json.stdout) as { nodes: { ref: { kind: string; id: string }; root?: boolean }[]; edges: { kind: string }[] };
  assert.ok(g.nodes.some((n) => n.ref.kind === "LINEAGE_NODE_KIND_CONSUMER" && n.ref.id === "cdn:eu"));
  assert.ok(g.edges.some((e) => e.kind === "LINEAGE_EDGE_KIND_COMPOSED_FROM"));

  assert.is((await runVellum(["lineage", "nope/none"], env)).code, EXIT.NOT_FOUND);
  assert.is((await runVellum(["lineage", "bundle/home", "--direction", "sideways"], env)).code, EXIT.USAGE);
});

test.run();
