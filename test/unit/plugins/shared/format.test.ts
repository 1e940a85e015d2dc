import { describe, expect, it } from 'vitest';
import {
  formatBitrate,
  formatBytes,
  formatPercent,
  formatRate,
  formatRendition,
  formatSeconds,
  shares,
  shortPeerId,
} from '../../../../plugins/shared/format.ts';

describe('formatBytes', () => {
  it('uses decimal units with one decimal below ten', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_000)).toBe('1.0 kB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(12_345_678)).toBe('12 MB');
    expect(formatBytes(987_654_321)).toBe('988 MB');
    expect(formatBytes(2.5e12)).toBe('2.5 TB');
  });

  it('never shows 1000 of a unit: it moves up a unit', () => {
    expect(formatBytes(999_600)).toBe('1.0 MB');
    expect(formatBytes(999_499)).toBe('999 kB');
  });

  it('shows nonsense as nothing', () => {
    expect(formatBytes(-5)).toBe('0 B');
    expect(formatBytes(Number.NaN)).toBe('0 B');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('0 B');
  });

  it('rates are bytes per second', () => {
    expect(formatRate(432_100)).toBe('432 kB/s');
    expect(formatRate(0)).toBe('0 B/s');
  });
});

describe('shares and formatPercent', () => {
  it('splits segment bytes between peers and origin', () => {
    expect(shares(750, 250)).toEqual({ peers: 0.75, origin: 0.25 });
    expect(shares(0, 1_000)).toEqual({ peers: 0, origin: 1 });
  });

  it('has no split before any byte arrived', () => {
    expect(shares(0, 0)).toBeUndefined();
    expect(formatPercent(shares(0, 0)?.peers)).toBe('–');
  });

  it('rounds to whole percent', () => {
    expect(formatPercent(0.874)).toBe('87%');
    expect(formatPercent(0.875)).toBe('88%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
  });

  it('never rounds a small share to nothing, nor a large one to everything', () => {
    const split = shares(3, 997)!;
    expect(formatPercent(split.peers)).toBe('<1%');
    expect(formatPercent(split.origin)).toBe('>99%');
  });

  it('the two percentages of a split add up to 100 when neither is at an end', () => {
    for (const [p2p, http] of [[1, 2], [5, 7], [13, 87], [50, 50], [2, 1]]) {
      const split = shares(p2p, http)!;
      const sum = Number.parseInt(formatPercent(split.peers), 10) + Number.parseInt(formatPercent(split.origin), 10);
      expect(Math.abs(sum - 100)).toBeLessThanOrEqual(1);
    }
  });
});

describe('the other figures', () => {
  it('bitrates in kbit/s and Mbit/s', () => {
    expect(formatBitrate(415_000)).toBe('415 kbit/s');
    expect(formatBitrate(2_500_000)).toBe('2.5 Mbit/s');
    expect(formatBitrate(12_000_000)).toBe('12 Mbit/s');
    expect(formatBitrate(0)).toBe('');
  });

  it('seconds with one decimal', () => {
    expect(formatSeconds(12.34)).toBe('12.3 s');
    expect(formatSeconds(-1)).toBe('0.0 s');
  });

  it('renditions as a viewer names them', () => {
    expect(formatRendition({ width: 640, height: 360, bitrate: 415_000 })).toBe('360p · 640×360 · 415 kbit/s');
    expect(formatRendition({ height: 240 })).toBe('240p');
    expect(formatRendition({ bitrate: 128_000 })).toBe('128 kbit/s');
    expect(formatRendition(undefined)).toBe('–');
    expect(formatRendition({})).toBe('–');
  });

  it('peer ids by their last eight hex digits (the first are the client prefix)', () => {
    expect(shortPeerId('2d5056303030312d' + 'a1b2c3d4e5f60718293a4b5c')).toBe('293a4b5c');
    expect(shortPeerId('abc')).toBe('abc');
  });
});
