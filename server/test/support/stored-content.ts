import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import type { SnapshotService } from "../../../gen/vellum/v1/snapshot_service_pb.js";

/** A small JSON payload for CreateSnapshot. */
export const jsonPayload = (s: string) => ({ case: "data" as const, value: new TextEncoder().encode(s) });

/** A snapshot's content as text, through DownloadSnapshot. */
export async function readText(snapshots: Client<typeof SnapshotService>, storeId: string, snapshotId: string): Promise<string> {
  let text = "";
  for await (const m of snapshots.downloadSnapshot({ storeId, snapshotId })) text += new TextDecoder().decode(m.chunk);
  return text;
}

/** Pack objects on disk for `storeId` under a local blob store in `dataDir`. */
export function packFiles(dataDir: string, storeId: string): number {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(dataDir).filter((f) => f.includes(`/packs/${storeId}/`)).length;
}
