import { describe, expect, it } from 'vitest';
import { HISTORY_SECONDS, TrafficHistory } from '../../../../player/src/element/traffic-history.ts';

describe('TrafficHistory', () => {
  it('keeps bytes per second by source, quiet seconds as zeros, the current second last', () => {
    let now = 1_000_000;
    const history = new TrafficHistory(() => now);
    history.record(100, 0);
    history.record(0, 50);
    now += 2_000;
    history.record(10, 20);
    const samples = history.samples();
    expect(samples).toHaveLength(HISTORY_SECONDS);
    expect(samples.at(-1)).toEqual({ time: 1_002_000, httpBytes: 10, p2pBytes: 20 });
    expect(samples.at(-2)).toEqual({ time: 1_001_000, httpBytes: 0, p2pBytes: 0 });
    expect(samples.at(-3)).toEqual({ time: 1_000_000, httpBytes: 100, p2pBytes: 50 });
    expect(samples[0].time).toBe(1_002_000 - (HISTORY_SECONDS - 1) * 1000);
  });

  it('forgets what is older than the window', () => {
    let now = 0;
    const history = new TrafficHistory(() => now);
    history.record(5, 5);
    now += (HISTORY_SECONDS - 1) * 1000;
    expect(history.samples()[0]).toEqual({ time: 0, httpBytes: 5, p2pBytes: 5 });
    now += 1000;
    expect(history.samples().every((s) => s.httpBytes === 0 && s.p2pBytes === 0)).toBe(true);
    now += 3_600_000;
    history.record(1, 2);
    expect(history.samples().reduce((sum, s) => sum + s.httpBytes + s.p2pBytes, 0)).toBe(3);
  });

  it('ignores negative amounts (counters that went back, a new source) and clears', () => {
    const now = 5_000;
    const history = new TrafficHistory(() => now);
    history.record(-100, 40);
    expect(history.samples().at(-1)).toMatchObject({ httpBytes: 0, p2pBytes: 40 });
    history.clear();
    expect(history.samples().at(-1)).toMatchObject({ httpBytes: 0, p2pBytes: 0 });
  });
});
