/** Builds an in-memory tar archive with tar-stream, for tests. */
import tar from "tar-stream";

export interface TarEntrySpec {
  name: string;
  content?: string | Uint8Array;
  type?: "file" | "directory" | "symlink";
  mode?: number;
  linkname?: string;
}

export async function makeTar(entries: TarEntrySpec[]): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const body = Buffer.from(e.content ?? "");
    const header = { name: e.name, type: e.type ?? "file", mode: e.mode ?? 0o644, mtime: new Date(0), linkname: e.linkname, size: body.length };
    await new Promise<void>((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}
