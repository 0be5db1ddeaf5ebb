import type { Validator } from "./validate.js";

/**
 * Checks an update mask against the fields it may name (proto field name -> domain key): at least
 * one path, every path known. Violations go to `v` under "update_mask".
 */
export function checkUpdateMask(v: Validator, mask: readonly string[], paths: Readonly<Record<string, string>>): void {
  if (mask.length === 0) v.add("update_mask", "must name at least one field");
  for (const p of mask) if (!(p in paths)) v.add("update_mask", `unknown path ${JSON.stringify(p)}; allowed: ${Object.keys(paths).join(", ")}`);
}

/** `current` with the fields the mask names taken from `input` (the mask is already checked). */
export function mergeMasked(current: object, input: object, mask: readonly string[], paths: Readonly<Record<string, string>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  const given = input as Record<string, unknown>;
  for (const p of mask) merged[paths[p]] = given[paths[p]];
  return merged;
}
