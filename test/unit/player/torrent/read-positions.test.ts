import { describe, expect, it } from 'vitest';
import { ReadPositions } from '../../../../player/src/torrent/read-positions.ts';

describe('ReadPositions', () => {
  it('follows one request as it is given bytes', () => {
    const reads = new ReadPositions();
    expect(reads.at).toBe(0);
    const read = reads.start(1000);
    read.advance(500);
    read.advance(250);
    expect(reads.at).toBe(1750);
  });

  it('two requests open at once: where the newer reads, not the sum of both', () => {
    const reads = new ReadPositions();
    const playing = reads.start(0);
    playing.advance(100_000);
    const seek = reads.start(3_000_000);
    playing.advance(50_000);
    seek.advance(64_000);
    expect(reads.at).toBe(3_064_000);
    // The newer one ends (a short read of the index): the older one is where the video reads again.
    seek.end();
    expect(reads.at).toBe(150_000);
    playing.advance(1000);
    expect(reads.at).toBe(151_000);
  });

  it('with no request open, where the last one to end stopped; a request ended twice counts once', () => {
    const reads = new ReadPositions();
    const first = reads.start(0);
    const second = reads.start(500);
    second.advance(10);
    second.end();
    first.advance(20);
    first.end();
    expect(reads.at).toBe(20);
    second.end();
    second.advance(99);
    expect(reads.at).toBe(20);
  });
});
