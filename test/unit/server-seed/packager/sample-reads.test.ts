import { describe, expect, it } from 'vitest';
import { planSampleReads } from '../../../../server-seed/src/packager/sample-reads.ts';
import type { SampleLocation } from '../../../../server-seed/src/packager/sample-reads.ts';

const GAP = 100;
const SPAN = 1000;

/** Each read as [fileStart, fileEnd, offsets of its samples]. */
function shape(samples: readonly SampleLocation[], maxGap = GAP, maxSpan = SPAN): [number, number, number[]][] {
  return planSampleReads(samples, maxGap, maxSpan).map((read) => [read.fileStart, read.fileEnd, read.samples.map((sample) => sample.offset)]);
}

describe('planSampleReads', () => {
  it('reads samples lying back to back at once', () => {
    expect(shape([{ offset: 10, size: 5 }, { offset: 15, size: 20 }, { offset: 35, size: 1 }])).toEqual([[10, 36, [10, 15, 35]]]);
  });

  it('reads across gaps smaller than maxGap, and starts a new read at a gap of maxGap or more', () => {
    const samples = [{ offset: 0, size: 10 }, { offset: 109, size: 10 }, { offset: 219, size: 10 }];
    expect(shape(samples)).toEqual([[0, 119, [0, 109]], [219, 229, [219]]]);
  });

  it('takes the samples in file order: two tracks interleaved in the file come out of one read', () => {
    const video = [{ offset: 0, size: 50 }, { offset: 60, size: 50 }, { offset: 120, size: 50 }];
    const audio = [{ offset: 50, size: 10 }, { offset: 110, size: 10 }];
    const [read] = planSampleReads([...video, ...audio], GAP, SPAN);
    expect([read.fileStart, read.fileEnd]).toEqual([0, 170]);
    expect(read.samples.map((sample) => sample.offset)).toEqual([0, 50, 60, 110, 120]);
    // The caller's own objects, so it can tell where each one goes.
    expect(read.samples[1]).toBe(audio[0]);
  });

  it('keeps a read within maxSpan, but a sample larger than that still gets a read of its own', () => {
    const samples = [{ offset: 0, size: 400 }, { offset: 400, size: 400 }, { offset: 800, size: 400 }, { offset: 1200, size: 3000 }, { offset: 4200, size: 10 }];
    expect(shape(samples)).toEqual([[0, 800, [0, 400]], [800, 1200, [800]], [1200, 4200, [1200]], [4200, 4210, [4200]]]);
  });

  it('covers samples that overlap in the file with one read', () => {
    expect(shape([{ offset: 0, size: 100 }, { offset: 50, size: 20 }, { offset: 90, size: 30 }])).toEqual([[0, 120, [0, 50, 90]]]);
  });

  it('plans nothing for no samples, and one read per sample with maxGap 0 and gaps between them', () => {
    expect(shape([])).toEqual([]);
    expect(shape([{ offset: 0, size: 10 }, { offset: 11, size: 10 }], 0)).toEqual([[0, 10, [0]], [11, 21, [11]]]);
  });
});
