/**
 * Where the CLI finds the server, the store and the API key, in order: command-line flags, then
 * the environment (VELLUM_SERVER, VELLUM_STORE, VELLUM_API_KEY), then the config file
 * `$XDG_CONFIG_HOME/vellum/config.json` (XDG_CONFIG_HOME defaults to ~/.config), which
 * `vellum login` writes with mode 0600.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError, EXIT } from "./exit-codes.js";

export interface Settings {
  server?: string;
  store?: string;
  apiKey?: string;
}

/** Where each resolved setting came from, for `vellum login` and --debug. */
export type Source = "flag" | "env" | "config";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** The config file path for this environment. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "vellum", "config.json");
}

/** The config file's settings; none when it does not exist. Throws CliError when it is not valid JSON. */
export function readConfigFile(path: string): Settings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return {};
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`config file ${path} is not valid JSON`, EXIT.ERROR);
  }
  if (typeof parsed !== "object" || parsed === null) throw new CliError(`config file ${path} must hold a JSON object`, EXIT.ERROR);
  const o = parsed as Record<string, unknown>;
  const pick = (k: keyof Settings) => (typeof o[k] === "string" && o[k] !== "" ? (o[k] as string) : undefined);
  return { server: pick("server"), store: pick("store"), apiKey: pick("apiKey") };
}

/**
 * Writes the config file readable by its owner only (0600, directory 0700): a temp file created
 * with that mode, then renamed over the old one, so the key is never readable by others, even
 * briefly, and a crash leaves the old file whole.
 */
export function writeConfigFile(path: string, settings: Settings): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600, flag: "w" });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Flags over environment over config file, per setting. */
export function resolveSettings(flags: Settings, env: NodeJS.ProcessEnv, file: Settings): { settings: Settings; sources: Partial<Record<keyof Settings, Source>> } {
  const fromEnv: Settings = { server: env.VELLUM_SERVER || undefined, store: env.VELLUM_STORE || undefined, apiKey: env.VELLUM_API_KEY || undefined };
  const settings: Settings = {};
  const sources: Partial<Record<keyof Settings, Source>> = {};
  for (const key of ["server", "store", "apiKey"] as const) {
    for (const [source, layer] of [["flag", flags], ["env", fromEnv], ["config", file]] as const) {
      if (layer[key]) {
        settings[key] = layer[key];
        sources[key] = source;
        break;
      }
    }
  }
  return { settings, sources };
}
