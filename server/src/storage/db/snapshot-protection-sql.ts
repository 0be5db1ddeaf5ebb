import { and, eq, not, sql, type SQL } from "drizzle-orm";
import { snapshots } from "./schema/index.js";

/** A timestamp parameter for raw SQL (drizzle maps Dates only when compared with a typed column). */
export const timestampParam = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;

/** A pin that still protects at `now` (unset or future expire time), as SQL on `snapshots`. */
export const activePin = (now: Date): SQL =>
  sql`(${snapshots.pinned} and (${snapshots.pinExpireTime} is null or ${snapshots.pinExpireTime} > ${timestampParam(now)}))`;

/** A lock that still protects at `now`. */
export const activeLock = (now: Date): SQL =>
  sql`(${snapshots.locked} and (${snapshots.lockExpireTime} is null or ${snapshots.lockExpireTime} > ${timestampParam(now)}))`;

/** No unexpired pin, no unexpired lock, no legal hold at `now`: what any removal requires. */
export const unprotectedAt = (now: Date): SQL => and(not(activePin(now)), not(activeLock(now)), eq(snapshots.held, false))!;
