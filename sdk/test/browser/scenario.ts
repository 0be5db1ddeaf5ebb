/**
 * Browser side of sdk/test/browser.test.ts: bundled with esbuild together with the SDK's browser
 * entry and @connectrpc/connect-web, loaded into a page, and driven from Node with
 * `page.evaluate(() => vellumScenario.run(...))`. Returns plain data for the Node side to assert.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  createVellumClient,
  downloadSnapshot,
  downloadSnapshotBytes,
  listSnapshots,
  SnapshotType,
  uploadSnapshot,
  VellumError,
  watchEvents,
} from "../../src/index.js";
import { patternBytes } from "../support/pattern.js";

export type TransportKind = "connect-json" | "connect-binary-get" | "grpc-web";

/** Size of the blob the page creates: more than one 1 MiB download message. */
export const BLOB_SIZE = 1024 * 1024 + 300_001;

function transportFor(kind: TransportKind, baseUrl: string): Transport {
  if (kind === "grpc-web") return createGrpcWebTransport({ baseUrl });
  return createConnectTransport({ baseUrl, useBinaryFormat: kind !== "connect-json", useHttpGet: kind === "connect-binary-get" });
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function describe(e: unknown) {
  return e instanceof VellumError
    ? { name: e.name, code: e.code, requestId: e.requestId ?? null, fields: e.fieldViolations.map((v) => v.field).sort() }
    : { name: String((e as Error)?.name ?? e), code: -1, requestId: null, fields: [] as string[], message: String((e as Error)?.message ?? e) };
}

/** The happy path: JSON snapshot, list, blob via CreateSnapshot data, streamed and ranged downloads. */
async function run(baseUrl: string, kind: TransportKind, storeId: string) {
  const client = createVellumClient(transportFor(kind, baseUrl));
  const doc = { sku: "A-1", name: "Stuhl ü", price: 12.5 };
  const json = await client.snapshots.createSnapshot({
    storeId,
    resourceType: "product",
    resourceId: "p-1",
    payload: { case: "json", value: fromJson(ValueSchema, doc) },
  });
  const listed: string[] = [];
  for await (const s of listSnapshots(client, { storeId, resourceType: "product" })) listed.push(s.snapshotId);
  const jsonBack = await downloadSnapshotBytes(client, { storeId, snapshotId: json.snapshot!.snapshotId });

  const blob = patternBytes(BLOB_SIZE, 7);
  const created = await client.snapshots.createSnapshot({
    storeId,
    resourceType: "asset",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: blob },
  });
  const id = { storeId, snapshotId: created.snapshot!.snapshotId };
  const parts: Uint8Array[] = [];
  for await (const c of downloadSnapshot(client, id)) parts.push(c);
  const streamed = concat(parts);
  const verified = await downloadSnapshotBytes(client, id);
  const range = await downloadSnapshotBytes(client, { ...id, offset: 1_000_000, length: 70_000 });

  let sourceRead = false;
  async function* source() {
    sourceRead = true;
    yield blob;
  }
  let uploadError: ReturnType<typeof describe> | null = null;
  try {
    await uploadSnapshot(client, { storeId, resourceType: "asset", snapshotType: SnapshotType.BLOB }, source());
  } catch (e) {
    uploadError = describe(e);
  }

  return {
    jsonVersion: Number(json.snapshot!.version),
    jsonText: new TextDecoder().decode(jsonBack.bytes),
    listed,
    jsonId: json.snapshot!.snapshotId,
    blobId: id.snapshotId,
    blobSha256: created.snapshot!.sha256,
    streamedMessages: parts.length,
    streamedEqual: same(streamed, blob),
    streamedSha256: await sha256Hex(streamed),
    verifiedEqual: same(verified.bytes, blob),
    rangeEqual: same(range.bytes, blob.subarray(1_000_000, 1_070_000)),
    uploadError,
    sourceRead,
  };
}

/** Typed errors as a browser sees them (needs CORS-exposed headers for the request id). */
async function errors(baseUrl: string, kind: TransportKind, storeId: string) {
  const client = createVellumClient(transportFor(kind, baseUrl), { retry: false });
  const out: Record<string, ReturnType<typeof describe>> = {};
  try {
    await client.snapshots.getSnapshot({ storeId, snapshotId: "01900000-0000-7000-8000-000000000000" });
  } catch (e) {
    out.notFound = describe(e);
  }
  try {
    await client.snapshots.createSnapshot({
      storeId: "bad store!",
      resourceType: "",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: new Uint8Array([1]) },
    });
  } catch (e) {
    out.invalid = describe(e);
  }
  try {
    for await (const _ of downloadSnapshot(client, { storeId, snapshotId: "01900000-0000-7000-8000-000000000000" })) break;
  } catch (e) {
    out.streamNotFound = describe(e);
  }
  return out;
}

/** One call, to see how a CORS refusal surfaces. */
async function probe(baseUrl: string, kind: TransportKind, storeId: string) {
  const client = createVellumClient(transportFor(kind, baseUrl), { retry: false });
  try {
    await client.snapshots.listSnapshots({ storeId });
    return { ok: true as const };
  } catch (e) {
    return { ok: false as const, error: describe(e) };
  }
}

/**
 * watchEvents in the page: starts a live stream, creates `count` snapshots once it is live, and
 * returns the snapshot ids created and the ones the stream yielded, in order.
 */
async function watch(baseUrl: string, kind: TransportKind, storeId: string, count: number) {
  const client = createVellumClient(transportFor(kind, baseUrl));
  const stop = new AbortController();
  let live!: () => void;
  const started = new Promise<void>((r) => (live = r));
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of watchEvents(client, { storeId }, { signal: stop.signal, onHeartbeat: () => live() })) {
      seen.push(e.snapshotId);
      if (seen.length === count) stop.abort();
    }
  })();
  await started;
  const made: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await client.snapshots.createSnapshot({ storeId, resourceType: "doc", payload: { case: "json", value: fromJson(ValueSchema, { i }) } });
    made.push(r.snapshot!.snapshotId);
  }
  await reading;
  return { made, seen };
}

(globalThis as unknown as { vellumScenario: unknown }).vellumScenario = { run, errors, probe, watch };

export type Scenario = { run: typeof run; errors: typeof errors; probe: typeof probe; watch: typeof watch };
