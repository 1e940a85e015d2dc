import { describe, expect, it } from 'vitest';
import { createCollectionCache } from '../../../server-seed/src/collection-cache.ts';
import type { Collection, ScanOptions } from '../../../server-seed/src/collection.ts';

function fakeScan(warning?: string) {
  const calls: string[] = [];
  const scan = async (root: string, options: ScanOptions): Promise<Collection> => {
    calls.push(root);
    if (warning) options.logger?.(warning);
    return { version: 1, titles: [] };
  };
  return { calls, scan };
}

describe('createCollectionCache', () => {
  it('rescans at most once per window and shares a scan between concurrent requests', async () => {
    let clock = 1000;
    const { calls, scan } = fakeScan();
    const cache = createCollectionCache('/c', { scan, now: () => clock, maxAgeMs: 2000 });
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(calls).toHaveLength(1);
    clock += 1999;
    await cache.get();
    expect(calls).toHaveLength(1);
    clock += 1;
    await cache.get();
    expect(calls).toHaveLength(2);
  });

  it('logs a repeated warning only once across rescans', async () => {
    let clock = 0;
    const lines: string[] = [];
    const { scan } = fakeScan('p2p-seed: warning: skipped bad.m3u8');
    const cache = createCollectionCache('/c', { scan, now: () => clock, logger: (line) => lines.push(line) });
    await cache.get();
    clock += 10_000;
    await cache.get();
    expect(lines).toEqual(['p2p-seed: warning: skipped bad.m3u8']);
  });

  it('does not keep a failed scan', async () => {
    let fail = true;
    const cache = createCollectionCache('/c', {
      scan: async () => {
        if (fail) throw new Error('disk gone');
        return { version: 1, titles: [] };
      },
    });
    await expect(cache.get()).rejects.toThrow('disk gone');
    fail = false;
    await expect(cache.get()).resolves.toEqual({ version: 1, titles: [] });
  });
});
