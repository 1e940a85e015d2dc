import { describe, expect, it } from 'vitest';
import {
  choosePrefetch,
  chooseSource,
  DEFAULT_SCHEDULER_CONFIG,
  discoveryWaitMs,
  hashWaitMs,
  isBehind,
  swarmWaitMs,
  type PeerView,
} from '../../../../player/src/engine/scheduler.ts';

const peer = (id: string, over: Partial<PeerView> = {}): PeerView => ({ id, has: true, inflight: 0, maxRequests: 8, failures: 0, ...over });
const need = { sn: 3, secondsUntilNeeded: 10, expectedBytes: 500_000, duration: 4 };

describe('chooseSource', () => {
  it('goes to HTTP when no peer holds the segment', () => {
    expect(chooseSource(need, [peer('a', { has: false })])).toEqual({ source: 'http', reason: 'no peer holds it' });
  });

  it('picks the holder that can deliver soonest, with the deadline it must meet', () => {
    const d = chooseSource(need, [peer('slow', { throughput: 200_000 }), peer('fast', { throughput: 5_000_000 })]);
    expect(d).toEqual({ source: 'peer', peerId: 'fast', deadlineMs: 5000 });
  });

  it('refuses a peer too slow for the deadline and goes to HTTP', () => {
    const urgent = { ...need, secondsUntilNeeded: 0 };
    const d = chooseSource(urgent, [peer('slow', { throughput: 100_000 })]);
    expect(d.source).toBe('http');
  });

  it('gives an unmeasured peer the minimum window when the segment is needed now', () => {
    const urgent = { ...need, secondsUntilNeeded: 0, expectedBytes: 200_000 };
    const d = chooseSource(urgent, [peer('new')]);
    expect(d).toEqual({ source: 'peer', peerId: 'new', deadlineMs: DEFAULT_SCHEDULER_CONFIG.minPeerWindowMs });
  });

  it('skips peers that keep failing or are saturated, and counts queued requests', () => {
    expect(chooseSource(need, [peer('bad', { failures: 3 })]).source).toBe('http');
    expect(chooseSource(need, [peer('busy', { inflight: 8 })]).source).toBe('http');
    const d = chooseSource(need, [peer('queued', { throughput: 1_000_000, inflight: 4 }), peer('idle', { throughput: 600_000 })]);
    expect(d.source === 'peer' && d.peerId).toBe('idle');
  });
});

describe('isBehind', () => {
  const t = { startedAt: 0, deadlineAt: 2000, received: 0, total: 100_000, expectedBytes: 100_000 };
  it('gives a transfer a grace period, then judges its rate', () => {
    expect(isBehind(t, 200)).toBe(false);
    expect(isBehind({ ...t, received: 90_000 }, 500)).toBe(false);
    expect(isBehind({ ...t, received: 10_000 }, 500)).toBe(true); // 20 bytes/ms cannot finish 90 kB in 1.5 s
  });
  it('is behind at the deadline whatever the rate, and when nothing came in half the window', () => {
    expect(isBehind({ ...t, received: 99_000 }, 2000)).toBe(true);
    expect(isBehind(t, 900)).toBe(false);
    expect(isBehind(t, 1100)).toBe(true);
  });
});

describe('choosePrefetch', () => {
  it('takes only segments peers hold, within the window and the in-flight budget', () => {
    const upcoming = [
      { sn: 5, held: true, inflight: false, holders: 2 },
      { sn: 6, held: false, inflight: false, holders: 0 },
      { sn: 7, held: false, inflight: false, holders: 1 },
      { sn: 8, held: false, inflight: false, holders: 3 },
      { sn: 9, held: false, inflight: false, holders: 3 },
    ];
    expect(choosePrefetch({ upcoming, inflight: 0 }, 4, 2)).toEqual([7, 8]);
    expect(choosePrefetch({ upcoming, inflight: 1 }, 4, 2)).toEqual([7]);
    expect(choosePrefetch({ upcoming, inflight: 0 }, 3, 2)).toEqual([7]);
  });
});

describe('swarmWaitMs', () => {
  const soon = { sn: 4, secondsUntilNeeded: 0.5, expectedBytes: 1, duration: 4 };
  const later = { sn: 4, secondsUntilNeeded: 12, expectedBytes: 1, duration: 4 };
  it('never waits alone, nor for a segment needed soon', () => {
    expect(swarmWaitMs(later, 0, 0.9)).toBe(0);
    expect(swarmWaitMs(soon, 3, 0.9)).toBe(0);
  });
  it('lets one of racing+1 viewers fetch, the others wait within the budget', () => {
    expect(swarmWaitMs(later, 1, 0.4)).toBe(0); // 0.4 < 1/2: this one fetches
    expect(swarmWaitMs(later, 1, 0.6)).toBe(2000);
    expect(swarmWaitMs(later, 3, 0.2)).toBe(0);
    expect(swarmWaitMs(later, 3, 0.3)).toBe(2000);
    expect(swarmWaitMs({ ...later, secondsUntilNeeded: 3 }, 3, 0.9)).toBe(900);
  });
});

describe('chooseSource with a seeder', () => {
  it('asks a viewer that can deliver in time before the seeder, and the seeder before HTTP', () => {
    const seeder = peer('seeder', { seeder: true, throughput: 50_000_000 });
    const viewer = peer('viewer', { throughput: 2_000_000 });
    expect(chooseSource(need, [seeder, viewer])).toMatchObject({ source: 'peer', peerId: 'viewer' });
    expect(chooseSource(need, [seeder, { ...viewer, has: false }])).toMatchObject({ source: 'peer', peerId: 'seeder' });
    const urgent = { ...need, secondsUntilNeeded: 0 };
    expect(chooseSource(urgent, [seeder, peer('slow', { throughput: 100_000 })])).toMatchObject({ source: 'peer', peerId: 'seeder' });
  });
});

describe('discoveryWaitMs', () => {
  it('without a measured HTTP rate: 30% of the slack, at most 2 s', () => {
    expect(discoveryWaitMs(4000, 150_000, undefined)).toBe(1200);
    expect(discoveryWaitMs(20_000, 150_000, undefined)).toBe(2000);
  });

  it('with a fast origin: up to 60% of the slack, at most 3 s', () => {
    // 150 kB at 10 MB/s is 15 ms over HTTP.
    expect(discoveryWaitMs(4000, 150_000, 10_000_000)).toBe(2400);
    expect(discoveryWaitMs(12_000, 150_000, 10_000_000)).toBe(3000);
  });

  it('keeps three HTTP transfers and half a second of the slack for the origin; a slow origin means no wait', () => {
    // 150 kB at 150 kB/s is 1 s over HTTP: 4 s of slack leaves 0.5 s to wait.
    expect(discoveryWaitMs(4000, 150_000, 150_000)).toBe(500);
    expect(discoveryWaitMs(4000, 150_000, 100_000)).toBe(0);
  });

  it('never waits for a segment needed now', () => {
    expect(discoveryWaitMs(0, 150_000, 10_000_000)).toBe(0);
    expect(discoveryWaitMs(-5, 150_000, undefined)).toBe(0);
  });
});

describe('hashWaitMs', () => {
  it('waits 30% of the slack for a live segment\'s hash, at most 1.5 s, and not at all when it is needed now', () => {
    expect(hashWaitMs(2000)).toBe(600);
    expect(hashWaitMs(20_000)).toBe(1500);
    expect(hashWaitMs(100)).toBe(0);
    expect(hashWaitMs(0)).toBe(0);
  });
});
