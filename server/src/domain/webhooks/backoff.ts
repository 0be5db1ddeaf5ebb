/** Longest wait between two attempts of one delivery. */
export const MAX_RETRY_DELAY_MS = 12 * 3600_000;

/**
 * Delay before the attempt after `attempts` failed ones: `baseMs * 2^(attempts-1)`, capped at
 * MAX_RETRY_DELAY_MS, with equal jitter (a uniformly random point in its upper half) so receivers
 * recovering from an outage are not hit by every delivery at once. With the default base of 5 s
 * and 15 attempts, the schedule spans about a day.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const full = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}
