import { createHash, randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Snapshot } from "../snapshots/types.js";
import { readArchive, writeArchive } from "./archive.js";
import { manifestOf } from "./manifest.js";
import { CHUNK_BYTES } from "./stream-cipher.js";
import { rejection } from "../../../test/support/rejection.js";

const snapshotOf = (content: Buffer): Snapshot =>
  ({
    id: "0190f1a2-0000-7000-8000-000000000001",
    storeId: "s1",
    resourceType: "page",
    resourceId: "home",
    resourceVersion: "",
    snapshotType: "BLOB",
    version: 3,
    size: content.length,
    sha256: createHash("sha256").update(content).digest("hex"),
    tags: ["a", "b"],
    labels: { env: "prod" },
    metadata: { commitMessage: "m", channel: "web", locale: "de-DE", jobId: "" },
    createdBy: "alice",
    createTime: new Date("2026-01-01T00:00:00Z"),
  }) as unknown as Snapshot;

async function* inPieces(b: Buffer, size = 10_000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

const KEY = randomBytes(32);

for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]) {
  for (const key of [undefined, KEY]) {
    test(`round trip: ${size} bytes, ${key ? "encrypted" : "plain"}; the announced size is exact`, async () => {
      const content = randomBytes(size);
      const manifest = manifestOf(snapshotOf(content), new Date());
      const out = writeArchive(manifest, inPieces(content), key);
      const bytes = await collect(out.body);
      assert.is(bytes.length, out.size);
      const opened = await readArchive(inPieces(bytes, 777), key);
      assert.equal(opened.manifest, manifest);
      assert.is(opened.encrypted, key !== undefined);
      assert.ok((await collect(opened.content)).equals(content));
      if (key && size > 16) assert.is(bytes.indexOf(content.subarray(0, 16)), -1, "content is not in the clear");
    });
  }
}

test("encrypted: no key, wrong key and a flipped byte are refused clearly", async () => {
  const content = randomBytes(200_000);
  const bytes = await collect(writeArchive(manifestOf(snapshotOf(content), new Date()), inPieces(content), KEY).body);
  const noKey = await rejection(readArchive(inPieces(bytes)));
  assert.is(noKey.name, "InvalidArgument");
  assert.match(noKey.message + JSON.stringify(noKey.details), /decryption_key/);
  const wrong = await rejection(readArchive(inPieces(bytes), randomBytes(32)));
  assert.match(JSON.stringify(wrong.details), /not the key this archive was encrypted with/);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 2048] ^= 1;
  const opened = await readArchive(inPieces(flipped), KEY);
  const bad = await rejection(collect(opened.content));
  assert.is(bad.name, "DataLoss");
});

test("a cut archive and bytes that are no archive are refused", async () => {
  const content = randomBytes(100_000);
  const bytes = await collect(writeArchive(manifestOf(snapshotOf(content), new Date()), inPieces(content)).body);
  const opened = await readArchive(inPieces(bytes.subarray(0, 60_000)));
  assert.is((await rejection(collect(opened.content))).name, "DataLoss");
  const junk = await rejection(readArchive(inPieces(randomBytes(5000))));
  assert.is(junk.name, "InvalidArgument");
});

test.run();
