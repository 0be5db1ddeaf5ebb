/**
 * Opens compare() HTML in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * no script errors, no console errors (a CSP violation would log one), no network requests, and
 * hostile content shows as text with no element of its own in the DOM.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CHROMIUM_ARGS, ensureChromium } from "../../../../scripts/chromium.js";
import { compare } from "./index.js";

const SCRIPT = "<script>alert(1)</script>";
const IMG = '<img src=x onerror="alert(2)">';

const browserTest = suite<{ browser?: Browser }>("html-diff in headless Chromium", {});

browserTest.before(async (ctx) => {
  ctx.browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
});

browserTest.after(async (ctx) => {
  await ctx.browser?.close();
});

async function open(browser: Browser, html: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => {
    if (!r.url().startsWith("about:") && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`);
  });
  await page.setContent(html, { waitUntil: "load" });
  return { page, problems };
}

const dir = join(import.meta.dirname, "testdata");
const withHostileText = (name: string) => {
  const doc = JSON.parse(readFileSync(join(dir, name), "utf8"));
  doc.products[0].description = `${SCRIPT} ${IMG} ${doc.products[0].description}`;
  return new TextEncoder().encode(JSON.stringify(doc));
};

browserTest("a JSON compare page loads with no errors, no requests, and shows <script> as text", async ({ browser }) => {
  const left = new Uint8Array(readFileSync(join(dir, "catalog-left.json")));
  const right = withHostileText("catalog-right.json");
  const r = await compare(left, right, "json", "HTML", { arrayMatchKey: ["id", "sku"], title: `Catalog ${SCRIPT}` });
  if (r.format !== "HTML") throw new Error("expected HTML");
  const { page, problems } = await open(browser!, r.html);
  try {
    const dom = await page.evaluate(() => ({
      scripts: document.querySelectorAll("script").length,
      imgs: document.querySelectorAll("img").length,
      handlers: [...document.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => a.name.startsWith("on"))).length,
      text: document.body.innerText,
      title: document.title,
      insBackground: getComputedStyle(document.querySelector("ins")!).backgroundColor,
    }));
    assert.equal(problems, []);
    assert.is(dom.scripts, 0);
    assert.is(dom.imgs, 0);
    assert.is(dom.handlers, 0);
    assert.ok(dom.text.includes(SCRIPT), "script tag visible as text");
    assert.ok(dom.text.includes('<img src=x onerror=\\"alert(2)\\">'), "img tag visible as text (JSON-escaped)");
    assert.is(dom.title, `Catalog ${SCRIPT}`);
    // The stylesheet is allowed by its hash: the CSP did not block it.
    assert.is(dom.insBackground, "rgb(172, 238, 187)");
  } finally {
    await page.close();
  }
});

browserTest("a text compare page with hostile lines shows them as text", async ({ browser }) => {
  const enc = new TextEncoder();
  const r = await compare(enc.encode(`title: Shirt\n`), enc.encode(`title: ${SCRIPT}\nalt: ${IMG}\n`), "text", "HTML", { leftName: `${IMG}.txt` });
  if (r.format !== "HTML") throw new Error("expected HTML");
  const { page, problems } = await open(browser!, r.html);
  try {
    const dom = await page.evaluate(() => ({
      scripts: document.querySelectorAll("script").length,
      imgs: document.querySelectorAll("img").length,
      inserted: [...document.querySelectorAll("td.new")].map((td) => (td as HTMLElement).innerText),
      heading: (document.querySelector("h2") as HTMLElement).innerText,
    }));
    assert.equal(problems, []);
    assert.is(dom.scripts, 0);
    assert.is(dom.imgs, 0);
    assert.ok(dom.inserted.includes(`title: ${SCRIPT}`));
    assert.ok(dom.inserted.includes(`alt: ${IMG}`));
    assert.is(dom.heading, `a/${IMG}.txt → b/${IMG}.txt`);
  } finally {
    await page.close();
  }
});

browserTest.run();
