import type { ServiceImpl } from "@connectrpc/connect";
import { EventService } from "../../../gen/vellum/v1/event_service_pb.js";
import type { EventUseCases } from "../domain/events/event-use-cases.js";
import { callerOf } from "./context.js";
import { eventToPb, filterFromPb } from "./event-convert.js";
import { rateKeyOf } from "./store-access.js";

/** EventService: WatchEvents (server stream) and ListEvents over the store's event outbox. */
export function createEventServiceImpl(deps: { events: EventUseCases }): ServiceImpl<typeof EventService> {
  return {
    async *watchEvents(req, ctx) {
      const items = deps.events.watch({ ...req, filter: filterFromPb(req.filter) }, rateKeyOf(callerOf(ctx)), ctx.signal);
      for await (const item of items) {
        yield item.event
          ? { event: eventToPb(item.event), lastEventId: BigInt(item.cursor) }
          : { heartbeat: true, lastEventId: BigInt(item.cursor) };
      }
    },
    async listEvents(req) {
      const page = await deps.events.list({ ...req, filter: filterFromPb(req.filter) });
      return { events: page.events.map(eventToPb), nextAfterEventId: BigInt(page.next) };
    },
  };
}
