import type { AnyJobKind } from "../jobs/kind.js";
import type { ScheduledJob } from "../jobs/scheduler.js";

/**
 * What one capability's wiring module returns. compose.ts builds the modules in dependency order
 * (a module receives only what modules before it returned), registers every module's job kinds
 * and schedules with the job runner, and closes the modules in reverse order.
 */
export interface Wired<U> {
  /** What later modules and the RPC layer use. */
  useCases: U;
  /** The job kinds this capability runs (modules under jobs/kinds/). */
  jobKinds: AnyJobKind[];
  /** Recurring system jobs of this capability (kinds of scope "system"). */
  schedules?: ScheduledJob[];
  /** Recurring system jobs kept as data (e.g. cron policies), read at every scheduler wake-up. */
  scheduleSources?: Array<() => Promise<ScheduledJob[]>>;
  /** Releases what the module holds; `graceMs` bounds waiting for work in flight. */
  close(graceMs: number): Promise<void>;
}

/** A module that holds nothing to release. */
export const nothingToClose = async (): Promise<void> => {};
