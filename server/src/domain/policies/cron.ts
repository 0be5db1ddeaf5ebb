import { CronExpressionParser } from "cron-parser";

/** When a cron policy is due: the same shape as the job scheduler's Schedule. */
export interface CronSchedule {
  /** The latest slot at or before `now`. */
  latest(now: Date): Date;
  /** The first slot after `now`. */
  next(now: Date): Date;
  readonly description: string;
}

/** Fields of a cron expression: 5 (minute first) or 6 (seconds first). */
const FIELD_COUNTS = [5, 6];

/**
 * Why `expression` is not a usable cron expression in `timeZone`, or undefined when it is.
 * Macros (@daily ...) and L/W/# extensions are accepted as cron-parser reads them.
 */
export function cronProblem(expression: string, timeZone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (!expression.startsWith("@") && !FIELD_COUNTS.includes(fields.length)) return "must have 5 fields (minute hour day month weekday) or 6 (seconds first)";
  try {
    CronExpressionParser.parse(expression, { tz: timeZone, currentDate: new Date(0), strict: false }).next();
    return undefined;
  } catch (err) {
    return `is not a valid cron expression: ${err instanceof Error ? err.message.slice(0, 200) : "unparseable"}`;
  }
}

/**
 * The slots of a cron expression in an IANA time zone (cron-parser handles DST: a slot in the
 * hour a DST change skips runs one hour later, a slot in a repeated hour runs once).
 */
export function cronSchedule(expression: string, timeZone: string): CronSchedule {
  const at = (currentDate: Date) => CronExpressionParser.parse(expression, { tz: timeZone, currentDate, strict: false });
  return {
    // prev() is strictly before currentDate (start 1 ms later so a slot at exactly `now` counts),
    // and it skips a slot that a DST change moved, which next() reports: step forward with next()
    // so both agree on every slot.
    latest: (now) => {
      let slot = at(new Date(now.getTime() + 1)).prev().toDate();
      for (let i = 0; i < 4; i++) {
        const following = at(slot).next().toDate();
        if (following > now) break;
        slot = following;
      }
      return slot;
    },
    next: (now) => at(now).next().toDate(),
    description: `cron "${expression}" in ${timeZone}`,
  };
}
