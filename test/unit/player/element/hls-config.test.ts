import { describe, expect, it } from 'vitest';
import { createHlsConfig, liveHoldBack } from '../../../../player/src/element/hls-config.ts';

describe('liveHoldBack (the live-hold-back attribute)', () => {
  it('defaults to 2 with peers and 0 without', () => {
    expect(liveHoldBack(null, true)).toBe(2);
    expect(liveHoldBack(null, false)).toBe(0);
    expect(liveHoldBack(Number.NaN, true)).toBe(2);
    expect(liveHoldBack('', false)).toBe(0);
  });

  it('clamps to 0..3 whole target durations', () => {
    expect(liveHoldBack(7, true)).toBe(3);
    expect(liveHoldBack(-1, false)).toBe(0);
    expect(liveHoldBack('1', true)).toBe(1);
    expect(liveHoldBack(0, true)).toBe(0);
    expect(liveHoldBack(2.6, false)).toBe(3);
  });
});

describe('createHlsConfig for live streams', () => {
  it('plays hold-back target durations behind hls.js\' own live sync point, and never pulls a viewer back to the edge', () => {
    expect(createHlsConfig({ liveHoldBack: 2 })).toMatchObject({ liveSyncDurationCount: 5, liveDurationInfinity: true });
    expect(createHlsConfig()).toMatchObject({ liveSyncDurationCount: 3, liveDurationInfinity: true });
    // A maximum latency would make hls.js jump back to the edge when a viewer pauses or seeks back in the DVR window.
    expect(createHlsConfig({ liveHoldBack: 2 })).not.toHaveProperty('liveMaxLatencyDurationCount');
    expect(createHlsConfig({ liveHoldBack: 10 }).liveSyncDurationCount).toBe(6);
  });
});
