import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../../server-seed/src/packager/bounded-map.ts';

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((done) => setImmediate(done));

describe('mapBounded', () => {
  it('starts tasks in index order, at most `limit` at a time, and gives their results by index', async () => {
    const pending = Array.from({ length: 5 }, () => deferred<string>());
    const started: number[] = [];
    const result = mapBounded(5, 2, (index) => {
      started.push(index);
      return pending[index].promise;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    pending[1].resolve('b');
    await tick();
    expect(started).toEqual([0, 1, 2]);
    pending[0].resolve('a');
    pending[2].resolve('c');
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    pending[4].resolve('e');
    pending[3].resolve('d');
    await expect(result).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('after a failure starts nothing more, and rejects with it only once the tasks under way have settled', async () => {
    const pending = Array.from({ length: 4 }, () => deferred<number>());
    const started: number[] = [];
    let settled = false;
    const result = mapBounded(4, 2, (index) => {
      started.push(index);
      return pending[index].promise;
    }).finally(() => (settled = true));
    result.catch(() => {});
    await tick();
    pending[0].reject(new Error('first'));
    await tick();
    expect(settled).toBe(false);
    pending[1].reject(new Error('second'));
    await expect(result).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
  });

  it('reports a task that throws before returning a promise like one that rejects', async () => {
    await expect(
      mapBounded(3, 3, (index) => {
        if (index === 1) throw new Error('sync');
        return Promise.resolve(index);
      }),
    ).rejects.toThrow('sync');
  });

  it('resolves to nothing for no tasks, and refuses a limit below 1', async () => {
    await expect(mapBounded(0, 3, () => Promise.resolve(1))).resolves.toEqual([]);
    await expect(mapBounded(3, 0, () => Promise.resolve(1))).rejects.toThrow(RangeError);
  });
});
