// A browser page's use of the packed @vellum/sdk over Connect-Web, bundled with esbuild by
// pack-install.test.ts and type-checked without Node's types. Exposes `vellumConsumer.run`.
import { createConnectTransport } from "@connectrpc/connect-web";
import { createVellumClient, downloadSnapshotBytes, jsonPayload, listSnapshots } from "@vellum/sdk";

async function run(baseUrl: string, storeId: string) {
  const client = createVellumClient(createConnectTransport({ baseUrl }));
  const { snapshot } = await client.snapshots.createSnapshot({ storeId, resourceType: "page", resourceId: "home", payload: jsonPayload({ title: "Hallo ü" }) });
  const listed: string[] = [];
  for await (const s of listSnapshots(client, { storeId })) listed.push(s.snapshotId);
  const { bytes } = await downloadSnapshotBytes(client, { storeId, snapshotId: snapshot!.snapshotId });
  return { id: snapshot!.snapshotId, listed, text: new TextDecoder().decode(bytes) };
}

(globalThis as unknown as { vellumConsumer: unknown }).vellumConsumer = { run };
