import { createHash } from "node:crypto";
import tar from "tar-stream";
import type { Header } from "tar-stream";
import { failedPrecondition } from "../errors.js";
import type { ComposeConflict, ComposeOutcome, Prefer } from "./types.js";

interface Member {
  header: Header;
  body: Buffer;
  digest: string;
  parent: number;
}

/** Reads every member of a tar archive (content included); FAILED_PRECONDITION INVALID_TAR when it is not one. */
async function readMembers(bytes: Uint8Array, parent: number): Promise<Member[]> {
  const extract = tar.extract();
  const out: Member[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      const body = Buffer.concat(parts);
      const h = entry.header;
      const digest = createHash("sha256").update(`${h.type}\0${h.linkname ?? ""}\0${h.mode}\0`).update(body).digest("hex");
      out.push({ header: h, body, digest, parent });
    }
  })();
  extract.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  try {
    await reading;
  } catch {
    throw failedPrecondition(`parent ${parent} is not a readable tar archive`, "INVALID_TAR");
  }
  return out;
}

/**
 * Tar OVERLAY: the members of every parent, by path, in order of first appearance. A path that
 * several parents hold with different content (or type, link target or mode) is a conflict:
 * right takes the later member, left keeps the earlier, none records it (keeping the earlier).
 * Identical members and directories are not conflicts.
 */
export async function overlayTars(parents: Uint8Array[], prefer: Prefer): Promise<ComposeOutcome<Uint8Array>> {
  const byPath = new Map<string, Member>();
  const conflicts: ComposeConflict[] = [];
  for (let i = 0; i < parents.length; i++) {
    for (const m of await readMembers(parents[i], i)) {
      const name = m.header.name.replace(/\/+$/, "");
      const had = byPath.get(name);
      if (!had || prefer === "right" && had.digest !== m.digest) {
        // Map.set on an existing key keeps its position: members stay in order of first appearance.
        byPath.set(name, m);
        continue;
      }
      if (had.digest === m.digest || (had.header.type === "directory" && m.header.type === "directory")) continue;
      if (prefer === "none") conflicts.push({ path: name, parents: [had.parent, i], reason: `parents ${had.parent} and ${i} hold different members` });
    }
  }
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const m of byPath.values()) {
    const h = m.header;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: h.name, type: h.type, mode: h.mode, mtime: h.mtime, linkname: h.linkname, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, size: m.body.length }, m.body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await collected;
  return { value: new Uint8Array(Buffer.concat(chunks)), conflicts };
}
