import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's Chromium, which browser tests drive through playwright-core (no browser downloads). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for headless Chromium on a machine without a network beyond the package registries. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Returns the Chromium path, installing Debian's `chromium` package first when it is missing and
 * we are root (as on CI and the dev machines); otherwise throws with the command to run.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing: run 'apt-get install -y chromium' as root`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (!existsSync(CHROMIUM)) throw new Error(`installing chromium did not provide ${CHROMIUM}`);
  return CHROMIUM;
}
