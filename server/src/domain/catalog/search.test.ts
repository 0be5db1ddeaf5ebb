import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { highlightFragments, FRAGMENT_SEPARATOR as SEP, MATCH_END as E, MATCH_START as S } from "./highlight.js";
import { checkFilters, queryTerms } from "./search.js";
import { Validator } from "../validate.js";

test("queryTerms: runs of letters, marks and digits, lowercased, each once", () => {
  assert.equal(queryTerms("Chai  walnut-Chair sku_12 chai"), ["chai", "walnut", "chair", "sku", "12"]);
  assert.equal(queryTerms("Stühle café 日本 naïve"), ["stühle", "café", "日本", "naïve"]);
  assert.equal(queryTerms(""), []);
  assert.equal(queryTerms(":* & | ! ( ) <-> ' \\ \""), []);
});

test("queryTerms never lets tsquery syntax through", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (q) => {
      for (const t of queryTerms(q)) assert.ok(/^[\p{L}\p{M}\p{N}]+$/u.test(t) && !/[&|!():*<>'\\\s]/.test(t), JSON.stringify(t));
    }),
  );
});

test("highlightFragments: marks become <em>, everything else is HTML-escaped; no marks, no highlight", () => {
  assert.is(highlightFragments("plain text"), undefined);
  assert.equal(highlightFragments(`a <b> & ${S}Chair${E}s "x"`), ['a &lt;b&gt; &amp; <em>Chair</em>s &quot;x&quot;']);
  assert.equal(highlightFragments(`${S}one${E}${SEP}none here${SEP} ${S}two${E} `), ["<em>one</em>", "<em>two</em>"]);
  assert.equal(highlightFragments(`${S}open`), ["<em>open</em>"], "an unclosed mark is closed");
  assert.equal(highlightFragments(`${E}x ${S}y${E}${E}`), ["x <em>y</em>"], "stray marks are dropped");
});

test("highlightFragments output never carries markup other than <em> and </em>", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(S, E, SEP, "<", ">", "&", '"')), { maxLength: 40 }), (parts) => {
      for (const f of highlightFragments(parts.join("") + S + "w" + E) ?? []) {
        assert.not.match(f.replace(/<\/?em>/g, ""), /[<>"]/);
        assert.is(f.match(/<em>/g)?.length ?? 0, f.match(/<\/em>/g)?.length ?? 0);
      }
    }),
  );
});

test("checkFilters: bounded tag filters, well-formed values, an ordered time window", () => {
  const violations = (f: Parameters<typeof checkFilters>[1]) => {
    const v = new Validator();
    checkFilters(v, f);
    return v.violations.map((x) => x.field);
  };
  assert.equal(violations({ storeId: "s", tags: ["ok"] }), []);
  assert.equal(violations({ storeId: "", tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }), ["store_id", "filters.tags"]);
  assert.equal(violations({ storeId: "s", tags: ["bad tag"], resourceType: "a b", createdBy: "x\u0000" }), ["filters.tags[0]", "filters.resource_type", "filters.created_by"]);
  assert.equal(violations({ storeId: "s", tags: [], since: new Date(2), until: new Date(1) }), ["filters.until"]);
  assert.equal(violations({ storeId: "s", tags: [], labelsMatch: { k: "a\u0000" } }), ["filters.labels_match"]);
});

test.run();
