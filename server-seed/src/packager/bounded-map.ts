/**
 * Runs `task(0)`, `task(1)`, … `task(count - 1)`, each started in index order and at most `limit` at a time;
 * resolves to their results by index. After a failure no task starts, and the promise rejects with the first
 * error only once every task already started has settled, so none is left writing behind the caller's back.
 */
export async function mapBounded<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, not ${limit}`);
  const results: T[] = new Array<T>(count);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < count) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure) throw failure.error;
  return results;
}
