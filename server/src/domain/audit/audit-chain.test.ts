import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseDigest } from "../digest.js";
import {
  auditActor,
  computeAuditHash,
  genesisHash,
  nextAuditEvent,
  type AuditEvent,
  type AuditEventDraft,
} from "./audit-event.js";
import {
  createAuditChainVerifier,
  verifyAuditChain,
  verifyStoredAuditChain,
  type AuditEventReader,
} from "./verify-audit-chain.js";

const T0 = Date.parse("2026-03-01T12:00:00Z");

const draft = (i: number, storeId = "store-1"): AuditEventDraft => ({
  id: `evt-${i}`,
  storeId,
  actor: "api_key:abc",
  action: i === 1 ? "snapshot.create" : "snapshot.update",
  resourceType: "snapshot",
  resourceId: "snap-1",
  before: i === 1 ? null : { labels: { v: String(i - 1) } },
  after: { labels: { v: String(i) } },
  requestId: `req-${i}`,
  time: new Date(T0 + i * 1000),
});

function chain(n: number, storeId = "store-1"): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) out.push(nextAuditEvent(out.at(-1), draft(i, storeId)));
  return out;
}

/** Replaces event i with changes, recomputing its hash (an attacker with write access to the table). */
function rehash(e: AuditEvent, changes: Partial<AuditEvent>): AuditEvent {
  const changed = { ...e, ...changes };
  return { ...changed, hash: computeAuditHash(changed, changed.prevHash) };
}

test("genesis prevHash is 64 zeros; seq starts at 1 and links", () => {
  assert.is(genesisHash().toHex(), "0".repeat(64));
  const [a, b] = chain(2);
  assert.is(a.seq, 1);
  assert.ok(a.prevHash.equals(genesisHash()));
  assert.is(b.seq, 2);
  assert.ok(b.prevHash.equals(a.hash));
});

test("hash is SHA-256 of the documented canonical JSON", () => {
  const [a] = chain(1);
  const expected =
    '{"action":"snapshot.create","actor":"api_key:abc","after":{"labels":{"v":"1"}},"before":null,' +
    `"id":"evt-1","prevHash":"${"0".repeat(64)}","requestId":"req-1","resourceId":"snap-1",` +
    '"resourceType":"snapshot","seq":1,"storeId":"store-1","time":"2026-03-01T12:00:01.000Z","v":1}';
  assert.is(a.hash.toHex(), createHash("sha256").update(expected).digest("hex"));
});

test("hash ignores key order inside before/after and treats undefined as null", () => {
  const base = { ...draft(2), seq: 2 };
  const h1 = computeAuditHash({ ...base, after: { a: 1, b: 2 } }, genesisHash());
  const h2 = computeAuditHash({ ...base, after: { b: 2, a: 1 } }, genesisHash());
  assert.ok(h1.equals(h2));
  assert.ok(computeAuditHash({ ...base, before: undefined }, genesisHash()).equals(computeAuditHash({ ...base, before: null }, genesisHash())));
});

test("hash survives a JSON round trip of before/after (as from a jsonb column)", () => {
  const [a] = chain(1);
  const reread = { ...a, after: JSON.parse(JSON.stringify(a.after)), time: new Date(a.time.toISOString()), hash: parseDigest(a.hash.toHex())! };
  assert.equal(verifyAuditChain([reread]), { ok: true, checked: 1 });
});

test("nextAuditEvent refuses to link across stores", () => {
  const [a] = chain(1, "store-1");
  assert.throws(() => nextAuditEvent(a, draft(2, "store-2")), /per store/);
});

test("auditActor is kind:id", () => {
  assert.is(auditActor({ kind: "jwt", id: "user@example.com" }), "jwt:user@example.com");
});

test("an intact chain verifies", () => {
  assert.equal(verifyAuditChain(chain(5)), { ok: true, checked: 5 });
  assert.equal(verifyAuditChain([]), { ok: true, checked: 0 });
});

test("modified field (hash not recomputed) → HASH_MISMATCH at that seq", () => {
  const fields: Partial<AuditEvent>[] = [
    { actor: "api_key:evil" },
    { action: "snapshot.delete" },
    { resourceId: "snap-2" },
    { before: { labels: { v: "x" } } },
    { after: null },
    { requestId: "req-x" },
    { time: new Date(T0) },
    { id: "evt-x" },
  ];
  for (const change of fields) {
    const events = chain(5);
    events[2] = { ...events[2], ...change };
    assert.equal(verifyAuditChain(events), { ok: false, checked: 2, firstBadSeq: 3, reason: "HASH_MISMATCH" }, JSON.stringify(change));
  }
});

test("modified field with recomputed hash → PREV_HASH_MISMATCH at the next event", () => {
  const events = chain(5);
  events[2] = rehash(events[2], { after: { labels: { v: "forged" } } });
  assert.equal(verifyAuditChain(events), { ok: false, checked: 3, firstBadSeq: 4, reason: "PREV_HASH_MISMATCH" });
});

test("deleted event → SEQ_GAP at the missing seq", () => {
  const events = chain(5);
  events.splice(2, 1);
  assert.equal(verifyAuditChain(events), { ok: false, checked: 2, firstBadSeq: 3, reason: "SEQ_GAP" });
});

test("deleted first event → SEQ_GAP at seq 1", () => {
  assert.equal(verifyAuditChain(chain(3).slice(1)), { ok: false, checked: 0, firstBadSeq: 1, reason: "SEQ_GAP" });
});

test("deleted event with later seqs renumbered and rehashed → PREV_HASH_MISMATCH", () => {
  const events = chain(5);
  events.splice(2, 1);
  for (let i = 2; i < events.length; i++) events[i] = rehash(events[i], { seq: i + 1 });
  assert.equal(verifyAuditChain(events), { ok: false, checked: 2, firstBadSeq: 3, reason: "PREV_HASH_MISMATCH" });
});

test("reordered events → SEQ_OUT_OF_ORDER", () => {
  const events = chain(5);
  [events[1], events[2]] = [events[2], events[1]];
  assert.equal(verifyAuditChain(events), { ok: false, checked: 1, firstBadSeq: 2, reason: "SEQ_OUT_OF_ORDER" });
});

test("duplicated event → SEQ_OUT_OF_ORDER", () => {
  const events = chain(3);
  events.splice(2, 0, events[1]);
  assert.equal(verifyAuditChain(events), { ok: false, checked: 2, firstBadSeq: 3, reason: "SEQ_OUT_OF_ORDER" });
});

test("reordered with seq numbers swapped and hashes recomputed → PREV_HASH_MISMATCH", () => {
  const events = chain(5);
  const second = rehash(events[2], { seq: 2 });
  const third = rehash(events[1], { seq: 3 });
  events[1] = second;
  events[2] = third;
  assert.equal(verifyAuditChain(events), { ok: false, checked: 1, firstBadSeq: 2, reason: "PREV_HASH_MISMATCH" });
});

test("broken prevHash link → PREV_HASH_MISMATCH", () => {
  const events = chain(4);
  events[3] = rehash(events[3], { prevHash: genesisHash() });
  assert.equal(verifyAuditChain(events), { ok: false, checked: 3, firstBadSeq: 4, reason: "PREV_HASH_MISMATCH" });
  const first = chain(2);
  first[0] = rehash(first[0], { prevHash: first[1].hash });
  assert.equal(verifyAuditChain(first), { ok: false, checked: 0, firstBadSeq: 1, reason: "PREV_HASH_MISMATCH" });
});

test("event from another store → STORE_MISMATCH; bad seq → BAD_SEQ", () => {
  const events = chain(3);
  events[1] = rehash(events[1], { storeId: "store-2" });
  assert.equal(verifyAuditChain(events), { ok: false, checked: 1, firstBadSeq: 2, reason: "STORE_MISMATCH" });
  const bad = chain(2);
  bad[1] = { ...bad[1], seq: 1.5 };
  assert.equal(verifyAuditChain(bad), { ok: false, checked: 1, firstBadSeq: 2, reason: "BAD_SEQ" });
});

test("a range can start after a trusted anchor", () => {
  const events = chain(6);
  const anchor = { seq: events[2].seq, hash: events[2].hash };
  assert.equal(verifyAuditChain(events.slice(3), { after: anchor }), { ok: true, checked: 3 });
  assert.equal(verifyAuditChain(events.slice(4), { after: anchor }), { ok: false, checked: 0, firstBadSeq: 4, reason: "SEQ_GAP" });
  const wrongAnchor = { seq: 3, hash: events[1].hash };
  assert.equal(verifyAuditChain(events.slice(3), { after: wrongAnchor }), { ok: false, checked: 0, firstBadSeq: 4, reason: "PREV_HASH_MISMATCH" });
});

test("checkpoint detects truncation of the newest events", () => {
  const events = chain(5);
  const checkpoint = { seq: 5, hash: events[4].hash };
  assert.equal(verifyAuditChain(events, { checkpoint }), { ok: true, checked: 5 });
  assert.equal(verifyAuditChain(events.slice(0, 3), { checkpoint }), { ok: false, checked: 3, firstBadSeq: 4, reason: "CHECKPOINT_MISMATCH" });
  // Without the checkpoint, truncation is invisible: a hash chain alone proves internal consistency only.
  assert.equal(verifyAuditChain(events.slice(0, 3)), { ok: true, checked: 3 });
});

test("checkpoint detects a wholesale rewrite with recomputed hashes", () => {
  const events = chain(4);
  const checkpoint = { seq: 4, hash: events[3].hash };
  const forged: AuditEvent[] = [];
  for (let i = 1; i <= 4; i++) forged.push(nextAuditEvent(forged.at(-1), { ...draft(i), actor: "api_key:innocent" }));
  assert.equal(verifyAuditChain(forged), { ok: true, checked: 4 });
  assert.equal(verifyAuditChain(forged, { checkpoint }), { ok: false, checked: 0, firstBadSeq: 1, reason: "CHECKPOINT_MISMATCH" });
  assert.throws(() => createAuditChainVerifier({ after: { seq: 4, hash: events[3].hash }, checkpoint }), /after the range start/);
});

test("verifyStoredAuditChain pages through a reader and finds the same failures", async () => {
  const events = chain(25);
  const reader = (rows: AuditEvent[]): AuditEventReader & { calls: number } => {
    const r = {
      calls: 0,
      async listAfter(storeId: string, afterSeq: number, limit: number) {
        r.calls++;
        return rows.filter((e) => e.storeId === storeId && e.seq > afterSeq).sort((a, b) => a.seq - b.seq).slice(0, limit);
      },
    };
    return r;
  };
  const ok = reader(events);
  assert.equal(await verifyStoredAuditChain(ok, "store-1", { pageSize: 10 }), { ok: true, checked: 25 });
  assert.is(ok.calls, 3);
  const gap = reader(events.filter((e) => e.seq !== 17));
  assert.equal(await verifyStoredAuditChain(gap, "store-1", { pageSize: 10 }), { ok: false, checked: 16, firstBadSeq: 17, reason: "SEQ_GAP" });
  const tampered = events.map((e) => (e.seq === 12 ? { ...e, actor: "x" } : e));
  assert.equal(await verifyStoredAuditChain(reader(tampered), "store-1", { pageSize: 10 }), {
    ok: false,
    checked: 11,
    firstBadSeq: 12,
    reason: "HASH_MISMATCH",
  });
  const truncated = reader(events.slice(0, 20));
  assert.equal(
    await verifyStoredAuditChain(truncated, "store-1", { pageSize: 10, checkpoint: { seq: 25, hash: events[24].hash } }),
    { ok: false, checked: 20, firstBadSeq: 21, reason: "CHECKPOINT_MISMATCH" },
  );
});

test.run();
