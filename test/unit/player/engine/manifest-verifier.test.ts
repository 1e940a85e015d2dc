import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseHashManifest, type HashManifest } from '../../../../player/src/engine/hash-manifest.ts';
import { ManifestVerifier } from '../../../../player/src/engine/manifest-verifier.ts';

const BASE = 'https://site.example/live/hashes.json';
const url = (sn: number) => `https://site.example/live/seg-${sn}.m4s`;
const bytes = (sn: number) => new TextEncoder().encode(`segment ${sn}`);
const hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The live manifest listing segments from..to (a sliding window). */
function manifest(from: number, to: number): HashManifest {
  const segments: Record<string, string> = {};
  for (let sn = from; sn <= to; sn += 1) segments[`seg-${sn}.m4s`] = hex(bytes(sn));
  return parseHashManifest({ version: 1, algorithm: 'sha-256', segments }, BASE);
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A site whose manifest the test answers request by request, on a clock the test moves. */
function site() {
  const requests: { fresh: boolean; answer: ReturnType<typeof deferred<HashManifest>> }[] = [];
  const clock = { time: 0 };
  const load = (fresh: boolean): Promise<HashManifest> => {
    const answer = deferred<HashManifest>();
    requests.push({ fresh, answer });
    return answer.promise;
  };
  return { requests, clock, now: () => clock.time, load };
}

describe('ManifestVerifier', () => {
  it('counts every segment as checkable while the first load runs, then checks against it', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now });
    expect(verifier.covers({ url: url(9) })).toBe(true);
    const pending = verifier.verify({ url: url(1) }, bytes(1));
    s.requests[0].answer.resolve(manifest(0, 2));
    expect(await pending).toBe('ok');
    expect(await verifier.ready).toBe(true);
    expect(s.requests[0].fresh).toBe(false);
    expect(verifier.covers({ url: url(9) })).toBe(false);
    expect(await verifier.verify({ url: url(2) }, bytes(1))).toBe('mismatch');
  });

  it('refreshes bypassing caches and merges: new hashes added, hashes that slid out kept', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now });
    const updates: number[] = [];
    verifier.watch(() => updates.push(verifier.size));
    s.requests[0].answer.resolve(manifest(0, 2));
    await verifier.ready;
    s.clock.time = 2000;
    const refreshed = verifier.refresh();
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].fresh).toBe(true);
    s.requests[1].answer.resolve(manifest(2, 4));
    await refreshed;
    expect(verifier.covers({ url: url(4) })).toBe(true);
    expect(await verifier.verify({ url: url(0) }, bytes(0))).toBe('ok');
    expect(updates).toEqual([3, 5]);
  });

  it('keeps one request in flight, and asks at most once a second unless a hash is awaited', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now });
    // During the first load a refresh waits for it rather than asking again.
    const during = verifier.refresh();
    expect(s.requests).toHaveLength(1);
    s.requests[0].answer.resolve(manifest(0, 1));
    await during;

    s.clock.time = 500;
    await verifier.refresh();
    expect(s.requests).toHaveLength(1);
    s.clock.time = 1000;
    const a = verifier.refresh();
    const b = verifier.refresh('missing');
    expect(s.requests).toHaveLength(2);
    s.requests[1].answer.resolve(manifest(0, 2));
    await Promise.all([a, b]);

    // A hash awaited asks sooner than the usual pace, but not in a loop.
    s.clock.time = 1100;
    await verifier.refresh('missing');
    expect(s.requests).toHaveLength(2);
    s.clock.time = 1300;
    const c = verifier.refresh('missing');
    expect(s.requests).toHaveLength(3);
    s.requests[2].answer.resolve(manifest(0, 3));
    await c;
    expect(verifier.covers({ url: url(3) })).toBe(true);
  });

  it('keeps the hashes it knows when a refresh fails, and tries again at the next refresh', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now });
    s.requests[0].answer.resolve(manifest(0, 1));
    await verifier.ready;
    s.clock.time = 1000;
    const failed = verifier.refresh();
    s.requests[1].answer.reject(new Error('HTTP 503'));
    await expect(failed).resolves.toBeUndefined();
    expect(verifier.failedRefreshes).toBe(1);
    expect(await verifier.ready).toBe(true);
    expect(await verifier.verify({ url: url(1) }, bytes(1))).toBe('ok');
    s.clock.time = 2000;
    const retried = verifier.refresh();
    s.requests[2].answer.resolve(manifest(1, 2));
    await retried;
    expect(verifier.failedRefreshes).toBe(0);
    expect(verifier.covers({ url: url(2) })).toBe(true);
  });

  it('passes nothing and asks nothing more when the first load fails', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now });
    s.requests[0].answer.reject(new Error('404'));
    expect(await verifier.ready).toBe(false);
    expect(verifier.covers({ url: url(0) })).toBe(false);
    expect(await verifier.verify({ url: url(0) }, bytes(0))).toBe('unknown');
    s.clock.time = 5000;
    await verifier.refresh();
    expect(s.requests).toHaveLength(1);
  });

  it('caps what it keeps, dropping the oldest hashes first but never one the site still lists', async () => {
    const s = site();
    const verifier = new ManifestVerifier({ load: s.load, now: s.now, maxEntries: 4 });
    s.requests[0].answer.resolve(manifest(0, 5));
    await verifier.ready;
    // A first manifest larger than the cap is kept whole (a long VOD).
    expect(verifier.size).toBe(6);
    s.clock.time = 1000;
    const refreshed = verifier.refresh();
    s.requests[1].answer.resolve(manifest(6, 7));
    await refreshed;
    expect(verifier.size).toBe(4);
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter((sn) => verifier.covers({ url: url(sn) }))).toEqual([4, 5, 6, 7]);
  });
});
