import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { escapeHtml } from "./html-escape.js";
import { contentSecurityPolicy, renderHtmlDiff } from "./html-diff.js";
import { sideBySideRows } from "./side-by-side.js";

const hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> & \'q\' \u0000\u001b';

test("escapeHtml: markup characters become entities and control characters become control pictures", () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.is(escapeHtml("a\u0000b\u001bc\u007f\td\n"), "a\u2400b\u241bc\u2421\td\n");
});

test("hostile content appears only escaped: no tag from content survives", () => {
  const html = renderHtmlDiff({
    title: hostile,
    counts: { [hostile]: 1 },
    changes: [{ kind: "changed", path: `/${hostile}`, oldValue: hostile, newValue: { [hostile]: hostile } }],
    files: [{ oldName: hostile, newName: hostile, note: hostile, rows: sideBySideRows(`x\n${hostile}\n`, `y\n${hostile}!\n`) }],
  });
  const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase()));
  const allowed = ["html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "span", "table", "thead", "tbody", "tr", "th", "td", "colgroup", "col", "section", "del", "ins"];
  assert.equal([...tags].filter((t) => !allowed.includes(t)), []);
  assert.not.ok(html.includes("<script"));
  assert.not.ok(html.includes("<img"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
});

test("the page is self-contained: a CSP that allows only its own stylesheet, by hash", () => {
  const html = renderHtmlDiff({ title: "t", files: [] });
  const csp = contentSecurityPolicy();
  assert.ok(html.includes(`content="${escapeHtml(csp)}"`));
  for (const d of ["default-src 'none'", "script-src 'none'", "img-src 'none'", "base-uri 'none'", "form-action 'none'"]) assert.ok(csp.includes(d), d);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  const hash = createHash("sha256").update(style).digest("base64");
  assert.ok(csp.includes(`style-src 'sha256-${hash}'`));
  assert.not.ok(/\b(src|href)=/i.test(html), "no external resources");
  assert.not.ok(/style="/.test(html), "no inline style attributes (the CSP would block them)");
});

test("sideBySideRows: pairs changed lines, keeps line numbers and collapses far context", () => {
  const left = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
  const right = left.replace("line 10\n", "line ten\n").replace("line 20\n", "line 20\nline 21\n");
  const rows = sideBySideRows(left, right, 1);
  assert.equal(
    rows.map((r) => (r.kind === "skipped" ? `skip ${r.lines}` : `${r.kind} ${r.left?.line ?? "-"}/${r.right?.line ?? "-"}`)),
    ["skip 8", "same 9/9", "changed 10/10", "same 11/11", "skip 8", "same 20/20", "added -/21"],
  );
  const changed = rows[2];
  assert.ok(changed.kind === "changed");
  if (changed.kind === "changed") {
    assert.equal(changed.left?.parts, [{ kind: "unchanged", value: "line " }, { kind: "removed", value: "10" }]);
    assert.equal(changed.right?.parts, [{ kind: "unchanged", value: "line " }, { kind: "added", value: "ten" }]);
  }
  assert.equal(sideBySideRows("same", "same"), []);
});

test("long outputs are cut with a visible note", () => {
  const rows = sideBySideRows(Array.from({ length: 50 }, (_, i) => `${i}`).join("\n"), Array.from({ length: 50 }, (_, i) => `x${i}`).join("\n"), 0);
  const html = renderHtmlDiff({ title: "t", files: [{ oldName: "a", newName: "a", rows }] }, { maxRows: 10 });
  assert.is((html.match(/<tr class="changed">/g) ?? []).length, 10);
  assert.ok(html.includes("output cut"));
  const many = renderHtmlDiff(
    { title: "t", changes: Array.from({ length: 5 }, (_, i) => ({ kind: "added" as const, path: `/${i}`, newValue: "x".repeat(50) })), files: [] },
    { maxSummaryRows: 2, maxValueChars: 10 },
  );
  assert.ok(many.includes("… 3 more changes"));
  assert.ok(many.includes("&quot;xxxxxxxxx…"));
});

test.run();
