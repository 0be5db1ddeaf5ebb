// A TypeScript consumer of the packed @vellum/sdk, type-checked under --strict with
// moduleResolution "bundler" and "node16" (never run): the types are real, not `any`.
import { createConnectTransport } from "@connectrpc/connect-node";
import { Code, SnapshotType, VellumError, type Snapshot, type VellumClient } from "@vellum/sdk";
import { createBulkGrpcTransport, createVellumClient, listSnapshots, uploadSnapshot } from "@vellum/sdk/node";

export async function newest(client: VellumClient, storeId: string): Promise<Snapshot | undefined> {
  for await (const s of listSnapshots(client, { storeId, pageSize: 1 })) return s;
  return undefined;
}

export async function pushDump(path: string): Promise<string> {
  const client = createVellumClient(createBulkGrpcTransport({ baseUrl: "http://127.0.0.1:8080" }));
  const s: Snapshot = await uploadSnapshot(client, { storeId: "s", resourceType: "db", snapshotType: SnapshotType.DB }, path, { incremental: true });
  const size: bigint = s.size;
  return `${s.snapshotId} ${size}`;
}

export async function everyService(): Promise<number> {
  const c = createVellumClient(createConnectTransport({ baseUrl: "http://127.0.0.1:8080", httpVersion: "1.1" }));
  const shares = await c.shares.listShares({ storeId: "s" });
  const keys = await c.apiKeys.listApiKeys({});
  const audit = await c.audit.listAuditEvents({ storeId: "s" });
  const pinned = await c.snapshotAdmin.pinSnapshot({ storeId: "s", snapshotId: "x" });
  try {
    await c.compare.previewSnapshot({ storeId: "s", snapshotId: "x" });
  } catch (e) {
    if (e instanceof VellumError && e.code === Code.NotFound) return -1;
  }
  // @ts-expect-error a misspelt service is a type error
  void c.snapshot;
  // @ts-expect-error so is a wrong request field
  await c.versions.listVersions({ storeId: "s", resource: "x" });
  return shares.shares.length + keys.apiKeys.length + audit.events.length + (pinned.snapshot?.pinned ? 1 : 0);
}
