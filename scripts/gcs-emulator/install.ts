/**
 * CI/developer entry point: installs the pinned Cloud Storage emulator into .tmp/gcs-emulator/
 * (or `--dir DIR`) unless an up-to-date install is already there, then checks that it starts.
 *
 *   npx tsx scripts/gcs-emulator/install.ts
 *
 * Exits non-zero when the install or the start fails.
 */
import { parseArgs } from "node:util";
import { ensureGcsEmulator, installGcsEmulator } from "./ensure-gcs-emulator.js";

const { values } = parseArgs({ options: { dir: { type: "string" } } });
const started = Date.now();
const dir = await installGcsEmulator({ installDir: values.dir, log: (l) => process.stderr.write(l) });
console.log(`GCS emulator installed in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
const emulator = await ensureGcsEmulator({ installDir: dir });
const res = await fetch(`${emulator.endpoint}/storage/v1/b/vellum-smoke/o`);
await emulator.stop();
if (!res.ok) throw new Error(`GCS emulator smoke request failed: HTTP ${res.status}`);
console.log(`GCS emulator starts and answers (${emulator.endpoint})`);
