import { and, eq, lt, sql } from "drizzle-orm";
import type { ScheduleStore } from "../../jobs/queue.js";
import type { Db } from "./client.js";
import { insertJobTx } from "./job-repo.js";
import { jobSchedules } from "./schema/index.js";

/** ScheduleStore on PostgreSQL (jobs/queue.ts states the contract). */
export function createJobScheduleRepository(db: Db): ScheduleStore {
  return {
    async ensure(name, slot) {
      await db.insert(jobSchedules).values({ name, lastSlot: slot }).onConflictDoNothing();
    },

    async fire(name, slot, job) {
      return db.transaction(async (tx) => {
        // The row lock serialises processes firing the same slot; the loser matches no row.
        const [won] = await tx
          .update(jobSchedules)
          .set({ lastSlot: slot, updateTime: sql`now()` })
          .where(and(eq(jobSchedules.name, name), lt(jobSchedules.lastSlot, slot)))
          .returning({ name: jobSchedules.name });
        if (!won) return undefined;
        return insertJobTx(tx, job, { schedule: name, scheduledTime: slot });
      });
    },
  };
}
