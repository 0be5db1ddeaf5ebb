/**
 * Bounded-concurrency map that yields results in input order.
 */

/**
 * Runs `fn` over `source` with at most `concurrency` calls in flight and yields the results in
 * source order. The source is pulled only as slots free up, so memory is bounded by
 * `concurrency` results. The first failure is thrown when its turn comes; stopping early (break,
 * throw) stops pulling the source, and rejections of abandoned calls are swallowed.
 */
export async function* orderedPool<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  const queue: Promise<R>[] = [];
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && queue.length < concurrency) {
      const step = await it.next();
      if (step.done) {
        exhausted = true;
        break;
      }
      const p = fn(step.value);
      p.catch(() => undefined); // handled when awaited in turn; abandoned ones must not go unhandled
      queue.push(p);
    }
  };
  try {
    await fill();
    while (queue.length > 0) {
      const result = await queue.shift()!;
      yield result;
      await fill();
    }
  } finally {
    if (!exhausted) await it.return?.();
  }
}
