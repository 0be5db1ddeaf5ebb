/** Results of one suite file, read from uvu's output. */
export interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  ms: number;
  /** Why the file failed as a whole (crash, timeout, load error); undefined when it ran to its end. */
  problem?: string;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Counts from one file's uvu output. A file that ran to its end has uvu's `Total:` and `Passed:`
 * lines. A file that did not (`problem` set) counts the tests it had passed (uvu's `•` marks) and
 * the ones it had failed (`✘`), plus one failure for the crash itself, so it can never look green.
 */
export function countsOf(output: string, problem?: string): Omit<SuiteResult, "name" | "ms"> {
  const plain = output.replace(ANSI, "");
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  if (!problem && total && passed) return { passed: Number(passed[1]), failed: Number(total[1]) - Number(passed[1]) };
  const marks = (c: string) => plain.split(c).length - 1;
  return { passed: marks("• "), failed: marks("✘ ") + 1, problem: problem ?? "ended without uvu's summary" };
}

/** The closing lines: one per failed file that did not run to its end, then `N passed, N failed`. */
export function summary(results: SuiteResult[]): { lines: string[]; passed: number; failed: number } {
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const lines = results.filter((r) => r.failed > 0).map((r) => `FAILED ${r.name}: ${r.problem ?? `${r.failed} test(s) failed`}`);
  return { lines: [...lines, `${passed} passed, ${failed} failed`], passed, failed };
}
