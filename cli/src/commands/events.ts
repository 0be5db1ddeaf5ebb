/** `events ls|watch` (alias `tail`): a store's events, polled or live (resuming by itself). */
import { EventSchema, listEvents, toJson, toJsonString, watchEvents, type Event } from "@vellum/sdk";
import type { Command } from "commander";
import type { CommandGroup } from "../command.js";
import { take } from "../listing.js";
import { collect, parseCount } from "../parse.js";
import { EVENT_HEAD, eventRow } from "../render.js";

type FilterOptions = { type?: string[]; resourceType?: string; tag?: string[]; after?: string };

const withFilters = (c: Command) =>
  c
    .option("--type <type>", "an event type or prefix.* (repeatable; default all)", collect)
    .option("--resource-type <type>", "only events about this resource type")
    .option("--tag <tag>", "only events about snapshots with this tag (repeatable)", collect)
    .option("--after <event-id>", "only events after this id");

const filterOf = (o: FilterOptions) => ({ types: o.type, resourceType: o.resourceType, tags: o.tag });
const afterOf = (o: FilterOptions) => BigInt(o.after === undefined ? 0 : parseCount(o.after, "--after"));

export const eventCommands: CommandGroup = {
  register(program, withContext) {
    const events = program.command("events").description("the store's events (snapshot.created, snapshot.deleted, job.failed, ...)");
    withFilters(events.command("ls").description("events after --after, oldest first, up to the newest"))
      .option("--limit <n>", "at most this many (0 for all)", "100")
      .action(
        withContext(async (ctx, o: FilterOptions & { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const items = await take(listEvents(ctx.client(), { storeId: ctx.store(), afterEventId: afterOf(o), filter: filterOf(o), pageSize: limit === 0 ? 1000 : Math.min(limit, 1000) }), limit);
          if (ctx.out.json) ctx.out.printJson(items.map((e) => toJson(EventSchema, e)));
          else ctx.out.table(EVENT_HEAD, items.map(eventRow));
        }),
      );
    withFilters(events.command("watch").alias("tail").description("stream events as they commit (one line each; NDJSON with --json), reconnecting and resuming by itself"))
      .option("--from-start", "begin with the oldest kept event instead of now")
      .option("--limit <n>", "stop after this many events (0: never)", "0")
      .action(
        withContext(async (ctx, o: FilterOptions & { fromStart?: boolean; limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const stop = new AbortController();
          process.once("SIGINT", () => stop.abort());
          let n = 0;
          const stream = watchEvents(ctx.client(), { storeId: ctx.store(), afterEventId: afterOf(o), fromStart: o.fromStart === true, filter: filterOf(o) }, { signal: stop.signal });
          for await (const e of stream) {
            ctx.out.print(ctx.out.json ? toJsonString(EventSchema, e) : line(e));
            if (limit > 0 && ++n >= limit) break;
          }
        }),
      );
  },
};

const line = (e: Event) => eventRow(e).filter(Boolean).join("  ");
