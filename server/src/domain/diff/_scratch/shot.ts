import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
const html = readFileSync("server/src/domain/diff/testdata/expected.html", "utf8");
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const p = await b.newPage({ viewport: { width: 1300, height: 1400 } });
await p.setContent(html);
await p.screenshot({ path: "/tmp/scratch/shot.png", fullPage: false });
await b.close();
