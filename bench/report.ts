/** One benchmark figure. `ratio` compares `value` with a baseline measured in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value unless the benchmark says otherwise (e.g. for "lower is better"). */
  ratio?: number;
  target?: string;
}

export type Report = (row: BenchRow) => void;

/** A benchmark module: bench/run.ts calls `run(report)` on each in turn. */
export interface BenchModule {
  title: string;
  run(report: Report): Promise<void>;
}

export function formatRow(r: BenchRow): string {
  const v = `${r.value.toFixed(r.value < 10 ? 3 : 1)} ${r.unit}`;
  const base = r.baseline ? `  baseline ${r.baseline.name} ${r.baseline.value.toFixed(1)} ${r.unit}` : "";
  const ratio = r.ratio !== undefined ? `  ratio ${r.ratio.toFixed(3)}` : "";
  const target = r.target ? `  (target ${r.target})` : "";
  return `${r.name.padEnd(58)} ${v}${base}${ratio}${target}`;
}

/** Megabytes (10^6 bytes) per second. */
export const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** The middle value (the upper one of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
