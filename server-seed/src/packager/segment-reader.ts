import type { FileHandle } from 'node:fs/promises';
import type { ISOFile, Sample } from 'mp4box';
import { BufferPool } from './buffer-pool.ts';
import { mediaSegmentHeader } from './fmp4-segmenter.ts';
import { InputError } from './input-error.ts';
import { planSampleReads } from './sample-reads.ts';

/** One media segment: consecutive samples of one track, and the sequence number of its moof. */
export interface SegmentRequest {
  samples: readonly Sample[];
  sequence: number;
}

/** Media segments as read: each one the list of its bytes in order, to be written with writev and hashed part by part. */
export interface SegmentsRead {
  /** Per request, the moof with the mdat header, then views of its samples' bytes in the buffers read. */
  segments: Uint8Array[][];
  /** Hands the buffers read back for the next segments: call once done with every view. */
  release(): void;
}

/**
 * Samples this close are read together, the bytes between them read and dropped: from the page cache a read costs
 * as much as copying tens of kilobytes, and from a disk the readahead fetches such gaps anyway.
 */
const READ_GAP_BYTES = 64 << 10;
/** Bounds one read, and so its buffer (one sample may exceed it). */
const READ_SPAN_BYTES = 8 << 20;
/** Read buffers kept for reuse: about those of the segments in flight at a time. */
const POOLED_BUFFERS = 8;

/**
 * Reads media segments of the parsed `iso` from `handle`. The samples of all segments asked for at once are read
 * together, so segments of several tracks covering the same stretch of time cost one pass over an interleaved
 * file. The moofs are made before the first await, so calls may overlap.
 */
export function segmentReader(handle: FileHandle, iso: ISOFile): (requests: readonly SegmentRequest[]) => Promise<SegmentsRead> {
  const pool = new BufferPool(POOLED_BUFFERS);
  return async (requests) => {
    const segments = requests.map(({ samples, sequence }) => {
      const parts = new Array<Uint8Array>(1 + samples.length);
      parts[0] = mediaSegmentHeader(iso, samples, sequence, payloadBytes(samples));
      return parts;
    });
    const wanted = requests.flatMap(({ samples }, segment) => samples.map(({ offset, size }, index) => ({ offset, size, segment, part: 1 + index })));
    const buffers: Uint8Array[] = [];
    const release = (): void => {
      for (const buffer of buffers.splice(0)) pool.release(buffer);
    };
    try {
      for (const read of planSampleReads(wanted, READ_GAP_BYTES, READ_SPAN_BYTES)) {
        const buffer = pool.acquire(read.fileEnd - read.fileStart);
        buffers.push(buffer);
        await readFully(handle, buffer, read.fileStart);
        for (const { offset, size, segment, part } of read.samples) {
          segments[segment][part] = buffer.subarray(offset - read.fileStart, offset - read.fileStart + size);
        }
      }
    } catch (error) {
      release();
      throw error;
    }
    return { segments: segments.map(joinAdjacent), release };
  };
}

function payloadBytes(samples: readonly Sample[]): number {
  let bytes = 0;
  for (const sample of samples) bytes += sample.size;
  return bytes;
}

/** Views that follow each other in the same buffer (samples back to back in the file) become one. */
function joinAdjacent(parts: readonly Uint8Array[]): Uint8Array[] {
  const joined: Uint8Array[] = [];
  for (const part of parts) {
    const last = joined.at(-1);
    if (last && last.buffer === part.buffer && last.byteOffset + last.byteLength === part.byteOffset) {
      joined[joined.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + part.byteLength);
    } else {
      joined.push(part);
    }
  }
  return joined;
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new InputError(`the file is truncated (no data at byte ${position + done})`);
    done += bytesRead;
  }
}
