// A plain Node ESM consumer of the packed @vellum/sdk (no TypeScript, no loader): creates a JSON
// snapshot, uploads a file incrementally, downloads it verified to a file, lists the store.
// Usage: node smoke.mjs <server URL> <scratch dir>; prints one JSON line.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createVellumClient, downloadSnapshotToFile, jsonPayload, listSnapshots, sha256File, SnapshotType, uploadSnapshot } from "@vellum/sdk/node";

const [baseUrl, dir] = process.argv.slice(2);
const storeId = "consumer";
const client = createVellumClient(createGrpcTransport({ baseUrl }));

const { snapshot: doc } = await client.snapshots.createSnapshot({ storeId, resourceType: "product", resourceId: "p-1", payload: jsonPayload({ name: "Chair", price: 49 }) });
const source = join(dir, "upload.bin");
writeFileSync(source, randomBytes(3_000_000));
const uploaded = await uploadSnapshot(client, { storeId, resourceType: "dump", resourceId: "orders", snapshotType: SnapshotType.DB }, source, { incremental: true });
const target = join(dir, "download.bin");
await downloadSnapshotToFile(client, { storeId, snapshotId: uploaded.snapshotId }, target);
const listed = [];
for await (const s of listSnapshots(client, { storeId })) listed.push(s.snapshotId);

console.log(JSON.stringify({ doc: doc.snapshotId, version: Number(doc.version), uploaded: uploaded.snapshotId, same: (await sha256File(source)) === (await sha256File(target)), listed }));
