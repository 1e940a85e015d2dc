/** Where a sample's bytes lie in its file. */
export interface SampleLocation {
  offset: number;
  size: number;
}

/** One read of the file, bytes [fileStart, fileEnd), holding `samples` in file order. */
export interface SampleRead<T extends SampleLocation = SampleLocation> {
  fileStart: number;
  fileEnd: number;
  samples: T[];
}

/**
 * Groups samples, taken in file order, into as few reads as make sense: the next sample joins the current read when
 * it starts less than `maxGap` bytes past the read's end and the read stays within `maxSpan` bytes (a read always
 * holds at least one sample). In an interleaved file a segment's video frames sit a few hundred bytes of audio
 * apart, and its audio frames between those video frames: thousands of small reads become a handful, the gaps
 * read and dropped.
 */
export function planSampleReads<T extends SampleLocation>(samples: readonly T[], maxGap: number, maxSpan: number): SampleRead<T>[] {
  const byOffset = [...samples].sort((a, b) => a.offset - b.offset);
  const reads: SampleRead<T>[] = [];
  let current: SampleRead<T> | undefined;
  for (const sample of byOffset) {
    const end = sample.offset + sample.size;
    if (current && sample.offset - current.fileEnd < maxGap && Math.max(end, current.fileEnd) - current.fileStart <= maxSpan) {
      current.fileEnd = Math.max(end, current.fileEnd);
      current.samples.push(sample);
    } else {
      current = { fileStart: sample.offset, fileEnd: end, samples: [sample] };
      reads.push(current);
    }
  }
  return reads;
}
