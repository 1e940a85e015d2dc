/** What the planner needs to know of a sample: decode time and duration in track ticks, and whether it is a key frame. */
export interface SampleTiming {
  dts: number;
  duration: number;
  isSync: boolean;
}

/** A run of samples [start, end) that becomes one media segment. */
export interface SegmentRange {
  start: number;
  end: number;
  /** Sum of the sample durations, in track ticks. */
  ticks: number;
}

/**
 * Video: a segment ends before the first key frame at or after `targetSeconds` from its start, so every segment
 * begins with a sync sample (when the track's first sample is one) and none is cut inside a GOP.
 */
export function planVideoSegments(samples: readonly SampleTiming[], timescale: number, targetSeconds: number): SegmentRange[] {
  const target = targetSeconds * timescale;
  const starts = [0];
  for (let index = 1; index < samples.length; index += 1) {
    const start = samples[starts[starts.length - 1]];
    if (samples[index].isSync && samples[index].dts - start.dts >= target) starts.push(index);
  }
  return toRanges(samples, starts);
}

/**
 * Audio beside video: one cut at the sample boundary nearest to each video segment boundary (seconds from the
 * start of the video track), so audio and video segment N cover the same stretch of time.
 */
export function planAlignedSegments(samples: readonly SampleTiming[], timescale: number, boundarySeconds: readonly number[]): SegmentRange[] {
  const starts = [0];
  let index = 1;
  for (const seconds of boundarySeconds) {
    const ticks = seconds * timescale;
    while (index < samples.length && samples[index].dts < ticks) index += 1;
    if (index >= samples.length) break;
    // The boundary lies between samples index-1 and index: take whichever sample start is closer.
    const before = index - 1;
    const cut = before > starts[starts.length - 1] && ticks - samples[before].dts < samples[index].dts - ticks ? before : index;
    if (cut > starts[starts.length - 1]) starts.push(cut);
  }
  return toRanges(samples, starts);
}

/** Audio alone: a cut at the first sample boundary at or after `targetSeconds` from the segment start. */
export function planEvenSegments(samples: readonly SampleTiming[], timescale: number, targetSeconds: number): SegmentRange[] {
  return planVideoSegments(
    samples.map((sample) => ({ ...sample, isSync: true })),
    timescale,
    targetSeconds,
  );
}

/** Where each segment but the first starts, in seconds from the start of the track. */
export function boundariesOf(ranges: readonly SegmentRange[], timescale: number): number[] {
  const boundaries: number[] = [];
  let ticks = 0;
  for (const range of ranges.slice(0, -1)) {
    ticks += range.ticks;
    boundaries.push(ticks / timescale);
  }
  return boundaries;
}

function toRanges(samples: readonly SampleTiming[], starts: readonly number[]): SegmentRange[] {
  if (samples.length === 0) return [];
  return starts.map((start, position) => {
    const end = starts[position + 1] ?? samples.length;
    let ticks = 0;
    for (let index = start; index < end; index += 1) ticks += samples[index].duration;
    return { start, end, ticks };
  });
}
