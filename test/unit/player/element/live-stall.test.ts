import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../../../../player/src/element/constants.ts';
import type { P2PError } from '../../../../player/src/element/errors.ts';
import {
  bufferAhead,
  LiveStallMonitor,
  LiveStallWatch,
  stallAfterMs,
  type LiveStallHls,
  type LiveStallMedia,
} from '../../../../player/src/element/live-stall.ts';

const playlist = (endSN: number, live = true, targetDuration = 2) => ({ live, endSN, targetDuration });

describe('LiveStallWatch', () => {
  it('waits max(3 target durations, 10 s) of a still playlist', () => {
    expect(stallAfterMs(2)).toBe(10_000);
    expect(stallAfterMs(6)).toBe(18_000);
  });

  it('finds a stream stopped once its playlist stood still that long with nothing left to play; reports it once', () => {
    const watch = new LiveStallWatch();
    watch.playlist(playlist(10), 0);
    watch.playlist(playlist(10), 9000);
    expect(watch.check(9_999, 0)).toBeUndefined();
    // Media still buffered: not yet.
    expect(watch.check(12_000, 3)).toBeUndefined();
    expect(watch.check(12_000, 0.2)).toEqual({ report: true, stillMs: 12_000 });
    expect(watch.stopped).toBe(true);
    expect(watch.check(13_000, 0)).toBeUndefined();
    // Loading again (the viewer pressed play): a new allowance, and no second report.
    watch.resumed(20_000);
    expect(watch.check(25_000, 0)).toBeUndefined();
    expect(watch.check(30_000, 0)).toEqual({ report: false, stillMs: 10_000 });
  });

  it('never fires while the playlist advances, nor for a stream that is not live', () => {
    const watch = new LiveStallWatch();
    for (let t = 0; t <= 60_000; t += 2000) {
      watch.playlist(playlist(t / 2000), t);
      expect(watch.check(t + 1000, 0)).toBeUndefined();
    }
    const vod = new LiveStallWatch();
    vod.playlist(playlist(5, false), 0);
    expect(vod.check(60_000, 0)).toBeUndefined();
    // #EXT-X-ENDLIST arrived: the stream ended properly.
    watch.playlist(playlist(30, false), 62_000);
    expect(watch.check(100_000, 0)).toBeUndefined();
  });
});

describe('bufferAhead', () => {
  const ranges = (...r: [number, number][]): TimeRanges => ({ length: r.length, start: (i) => r[i][0], end: (i) => r[i][1] });

  it('measures the buffered range the playhead is in', () => {
    expect(bufferAhead(ranges([0, 4], [10, 20]), 12)).toBe(8);
    expect(bufferAhead(ranges([0, 4]), 4)).toBe(0);
    expect(bufferAhead(ranges(), 0)).toBe(0);
  });
});

/** hls.js and the media element, faked: the test fires playlist updates and media events. */
function fakes() {
  const handlers = new Map<string, (event: string, data: unknown) => void>();
  const calls: string[] = [];
  const hls = {
    on: (event: string, handler: (event: string, data: unknown) => void) => handlers.set(event, handler),
    off: (event: string) => handlers.delete(event),
    stopLoad: () => calls.push('stopLoad'),
    startLoad: (at: number) => calls.push(`startLoad ${at}`),
  } as unknown as LiveStallHls;
  const listeners = new Map<string, () => void>();
  const media = {
    currentTime: 40,
    buffered: { length: 1, start: () => 30, end: () => 40.2 } as TimeRanges,
    pause: () => calls.push('pause'),
    addEventListener: (type: string, l: () => void) => listeners.set(type, l),
    removeEventListener: (type: string) => listeners.delete(type),
  } satisfies LiveStallMedia;
  const level = (endSN: number, live = true) =>
    handlers.get('hlsLevelUpdated')?.('hlsLevelUpdated', { level: 0, details: { live, endSN, startSN: endSN - 5, targetduration: 2 } });
  return { hls, media, calls, handlers, listeners, level };
}

describe('LiveStallMonitor', () => {
  let time = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    time = 0;
  });
  afterEach(() => vi.useRealTimers());
  const advance = (ms: number) => {
    time += ms;
    vi.advanceTimersByTime(ms);
  };

  it('warns once with ERR_LIVE_STALLED, stops loading and pauses; play loads again; a second stall stays quiet', () => {
    const f = fakes();
    const errors: P2PError[] = [];
    const monitor = new LiveStallMonitor(f.hls, f.media, (e) => errors.push(e), () => time);
    f.level(100);
    for (let i = 0; i < 5; i += 1) {
      advance(2000);
      f.level(100);
    }
    advance(1000);
    expect(errors.map((e) => [e.code, e.fatal])).toEqual([[ErrorCodes.LIVE_STALLED, false]]);
    expect(errors[0].message).toMatch(/live stream stopped advancing/);
    expect(f.calls).toEqual(['stopLoad', 'pause']);
    advance(30_000);
    expect(errors).toHaveLength(1);

    f.listeners.get('play')?.();
    expect(f.calls).toEqual(['stopLoad', 'pause', 'startLoad 40']);
    advance(11_000);
    expect(errors).toHaveLength(1);
    expect(f.calls).toEqual(['stopLoad', 'pause', 'startLoad 40', 'stopLoad', 'pause']);

    monitor.destroy();
    monitor.destroy();
    expect(f.handlers.size).toBe(0);
    expect(f.listeners.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does nothing while the playlist advances, or for a stream that is not live', () => {
    const f = fakes();
    const errors: P2PError[] = [];
    const monitor = new LiveStallMonitor(f.hls, f.media, (e) => errors.push(e), () => time);
    for (let sn = 100; sn < 130; sn += 1) {
      f.level(sn);
      advance(2000);
    }
    f.level(130, false);
    advance(60_000);
    expect(errors).toEqual([]);
    expect(f.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    monitor.destroy();
  });
});
