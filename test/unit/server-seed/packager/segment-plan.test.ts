import { describe, expect, it } from 'vitest';
import { boundariesOf, planAlignedSegments, planEvenSegments, planVideoSegments } from '../../../../server-seed/src/packager/segment-plan.ts';
import type { SampleTiming, SegmentRange } from '../../../../server-seed/src/packager/segment-plan.ts';

/** `count` samples of `duration` ticks; key frames where `isSync(index)`. */
function track(count: number, duration: number, isSync: (index: number) => boolean = () => true): SampleTiming[] {
  return Array.from({ length: count }, (_, index) => ({ dts: index * duration, duration, isSync: isSync(index) }));
}

/** Segments cover samples 0..n-1 once each, in order. */
function expectCovers(ranges: readonly SegmentRange[], count: number): void {
  expect(ranges[0]?.start).toBe(0);
  ranges.forEach((range, index) => {
    expect(range.end).toBeGreaterThan(range.start);
    if (index > 0) expect(range.start).toBe(ranges[index - 1].end);
  });
  expect(ranges.at(-1)?.end).toBe(count);
}

describe('planVideoSegments', () => {
  it('cuts at the first key frame at or after the target', () => {
    // 25 fps in a 12800 timescale, key frame every 30 frames (1.2 s): 4 s is reached at 4.8 s.
    const samples = track(250, 512, (index) => index % 30 === 0);
    const ranges = planVideoSegments(samples, 12800, 4);
    expectCovers(ranges, 250);
    expect(ranges.map((range) => range.start)).toEqual([0, 120, 240]);
    expect(boundariesOf(ranges, 12800)).toEqual([4.8, 9.6]);
    expect(ranges.reduce((sum, range) => sum + range.ticks, 0)).toBe(250 * 512);
  });

  it('cuts exactly at the target when a key frame is there', () => {
    const ranges = planVideoSegments(track(100, 1, (index) => index % 10 === 0), 10, 4);
    expect(ranges.map((range) => [range.start, range.end])).toEqual([[0, 40], [40, 80], [80, 100]]);
  });

  it('makes one segment of a track with a single key frame, and none of an empty track', () => {
    expect(planVideoSegments(track(300, 1, (index) => index === 0), 25, 4)).toEqual([{ start: 0, end: 300, ticks: 300 }]);
    expect(planVideoSegments([], 25, 4)).toEqual([]);
  });

  it('follows irregular key frames and sample durations', () => {
    const durations = [3, 3, 4, 3, 3, 4, 3, 3, 4, 3];
    let dts = 0;
    const samples = durations.map((duration, index) => {
      const sample = { dts, duration, isSync: [0, 4, 5, 9].includes(index) };
      dts += duration;
      return sample;
    });
    const ranges = planVideoSegments(samples, 10, 1.2);
    expect(ranges.map((range) => range.start)).toEqual([0, 4, 9]);
    expect(ranges.map((range) => range.ticks)).toEqual([13, 17, 3]);
  });
});

describe('planAlignedSegments', () => {
  it('cuts audio at the sample boundary nearest each video boundary', () => {
    // AAC frames of 1024 at 48 kHz (21.33 ms): 4.8 s falls between frames 224 (4.779 s) and 225 (4.8 s).
    const audio = track(470, 1024);
    const ranges = planAlignedSegments(audio, 48000, [4.8, 9.6]);
    expectCovers(ranges, 470);
    expect(ranges.map((range) => range.start)).toEqual([0, 225, 450]);
    const nearest = planAlignedSegments(track(10, 10), 100, [0.34, 0.66]);
    expect(nearest.map((range) => range.start)).toEqual([0, 3, 7]);
  });

  it('drops boundaries past the end of the audio and never makes an empty segment', () => {
    const ranges = planAlignedSegments(track(10, 10), 100, [0.001, 0.5, 0.5, 2, 3]);
    expectCovers(ranges, 10);
    expect(ranges.map((range) => range.start)).toEqual([0, 1, 5]);
  });
});

describe('planEvenSegments', () => {
  it('cuts at the first sample boundary at or after the target', () => {
    const ranges = planEvenSegments(track(302, 1024), 44100, 4);
    expectCovers(ranges, 302);
    // 4 s = 172.27 frames: the cut is at frame 173.
    expect(ranges.map((range) => range.start)).toEqual([0, 173]);
  });
});
