/**
 * Waits that one call can end early. `guard(p)` settles as `p` does unless `interrupt(err)` comes
 * first: then every pending and later guard rejects with the first `err`. A settled wait is
 * forgotten at once, so nothing keeps the values it resolved with (unlike a Promise.race against
 * one shared "interrupted" promise, which stays attached to every race).
 */
export interface Interruptible {
  guard<T>(p: Promise<T>): Promise<T>;
  /** Records `err` and rejects every pending guard with it; later calls change nothing. */
  interrupt(err: unknown): void;
  /** The first interrupt's error, if any came. */
  readonly reason: { err: unknown } | undefined;
}

export function createInterruptible(): Interruptible {
  let reason: { err: unknown } | undefined;
  const waiting = new Set<(e: unknown) => void>();
  return {
    get reason() {
      return reason;
    },
    guard<T>(p: Promise<T>): Promise<T> {
      if (reason) return Promise.reject(reason.err);
      return new Promise<T>((resolve, reject) => {
        waiting.add(reject);
        p.then(
          (v) => (waiting.delete(reject), resolve(v)),
          (e: unknown) => (waiting.delete(reject), reject(e)),
        );
      });
    },
    interrupt(err) {
      if (reason) return;
      reason = { err };
      for (const reject of waiting) reject(err);
      waiting.clear();
    },
  };
}
