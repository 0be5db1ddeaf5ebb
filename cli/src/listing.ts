/** Shared by the list commands: a bounded walk over pages, then JSON or a table. */
import type { CliContext } from "./context.js";

/** The first `limit` items of an async iterable (all of them for 0). */
export async function take<T>(items: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit === 0) for await (const item of items) out.push(item);
  else for await (const item of items) if (out.push(item) >= limit) break;
  return out;
}

/** Page size for a limit: the limit itself, or the largest page for "all" and big limits. */
export const pageSizeFor = (limit: number) => (limit === 0 || limit > 1000 ? 1000 : limit);

/** With --json an array of proto3 JSON objects, else a table. */
export function printList<T>(ctx: CliContext, items: T[], json: (item: T) => unknown, head: string[], row: (item: T) => string[]): void {
  if (ctx.out.json) ctx.out.printJson(items.map(json));
  else ctx.out.table(head, items.map(row));
}
