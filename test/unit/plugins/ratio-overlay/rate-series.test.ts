import { describe, expect, it } from 'vitest';
import { rateSeries } from '../../../../plugins/ratio-overlay/rate-series.ts';

const quiet = (n: number) => Array.from({ length: n }, () => ({ httpBytes: 0, p2pBytes: 0 }));

describe('rateSeries', () => {
  it('turns seconds into bars of bytes per second, by source, oldest first', () => {
    const history = [
      { httpBytes: 300, p2pBytes: 0 },
      { httpBytes: 0, p2pBytes: 0 },
      { httpBytes: 0, p2pBytes: 0 },
      { httpBytes: 0, p2pBytes: 600 },
      { httpBytes: 90, p2pBytes: 0 },
      { httpBytes: 0, p2pBytes: 300 },
    ];
    expect(rateSeries(history, 3)).toEqual({
      bars: [
        { http: 100, p2p: 0 },
        { http: 30, p2p: 300 },
      ],
      peak: 330,
      seconds: 6,
    });
  });

  it('keeps the newest bar whole: a partial bar is the oldest', () => {
    const history = [...quiet(4), { httpBytes: 0, p2pBytes: 30 }];
    const series = rateSeries(history, 3);
    expect(series.bars).toHaveLength(2);
    expect(series.bars[1]).toEqual({ http: 0, p2p: 10 });
  });

  it('three minutes of seconds make sixty bars', () => {
    expect(rateSeries(quiet(180), 3).bars).toHaveLength(60);
    expect(rateSeries(quiet(180), 3).peak).toBe(0);
  });

  it('is empty without history', () => {
    expect(rateSeries([], 3)).toEqual({ bars: [], peak: 0, seconds: 0 });
  });
});
