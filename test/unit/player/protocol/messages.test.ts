import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHUNK_BYTES,
  MAX_HAVE_IDS,
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BYTES,
  PROTOCOL_VERSION,
  chunkSegment,
  decode,
  encode,
  splitHave,
} from '../../../../player/src/protocol/index.ts';

describe('limits', () => {
  it('are the values of protocol version 1', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(MAX_CHUNK_BYTES).toBe(16_384);
    expect(MAX_SEGMENT_BYTES).toBe(64 * 1024 * 1024);
    expect(MAX_HAVE_IDS).toBe(1024);
    // version, type, requestId, sn, offset, total, then a full chunk
    expect(MAX_MESSAGE_BYTES).toBe(2 + 16 + 16_384);
  });
});

describe('chunkSegment', () => {
  function segmentOf(size: number): Uint8Array {
    return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >>> 8)) & 0xff);
  }

  it.each([1, 2, MAX_CHUNK_BYTES - 1, MAX_CHUNK_BYTES, MAX_CHUNK_BYTES + 1, 100_000, 3 * MAX_CHUNK_BYTES])(
    'reassembles a %i-byte segment through the wire',
    (size) => {
      const segment = segmentOf(size);
      const out = new Uint8Array(size);
      let expectedOffset = 0;
      let count = 0;
      for (const chunk of chunkSegment(3, 4, segment)) {
        expect(chunk.offset).toBe(expectedOffset);
        expect(chunk.bytes.length).toBeGreaterThan(0);
        expect(chunk.bytes.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
        const received = decode(encode(chunk));
        if (received.type !== 'data') throw new Error('expected data');
        expect(received).toMatchObject({ requestId: 3, sn: 4, offset: expectedOffset, total: size });
        out.set(received.bytes, received.offset);
        expectedOffset += received.bytes.length;
        count++;
      }
      expect(expectedOffset).toBe(size);
      expect(count).toBe(Math.ceil(size / MAX_CHUNK_BYTES));
      expect(isDeepStrictEqual(out, segment)).toBe(true);
    },
  );

  it('yields nothing for a 0-byte segment (a holder answers absent instead)', () => {
    expect([...chunkSegment(1, 2, new Uint8Array(0))]).toEqual([]);
  });

  it('yields views into the segment, without copying', () => {
    const segment = segmentOf(MAX_CHUNK_BYTES + 10);
    const [first, second] = [...chunkSegment(1, 2, segment)];
    expect(first?.bytes.buffer).toBe(segment.buffer);
    expect(second?.bytes.byteOffset).toBe(MAX_CHUNK_BYTES);
    expect(second?.bytes.length).toBe(10);
  });

  it('keeps ids at the u32 boundaries', () => {
    const [chunk] = [...chunkSegment(2 ** 32 - 1, 0, segmentOf(5))];
    expect(chunk).toMatchObject({ type: 'data', requestId: 2 ** 32 - 1, sn: 0, offset: 0, total: 5 });
  });

  it('checks its arguments at the call, before the first chunk', () => {
    expect(() => chunkSegment(-1, 0, segmentOf(1))).toThrow(RangeError);
    expect(() => chunkSegment(0, 2 ** 32, segmentOf(1))).toThrow(RangeError);
    expect(() => chunkSegment(0, 0, [1] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => chunkSegment(0, 0, new Uint8Array(MAX_SEGMENT_BYTES + 1))).toThrow(RangeError);
  });
});

describe('splitHave', () => {
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

  it('gives no messages when there is nothing to announce', () => {
    expect(splitHave([], [])).toEqual([]);
  });

  it('keeps a change within the limit in one message', () => {
    expect(splitHave([1, 2], [3])).toEqual([{ type: 'have', added: [1, 2], removed: [3] }]);
    const full = splitHave(range(0, 1000), range(5000, 24));
    expect(full).toHaveLength(1);
    expect(full[0]?.added).toHaveLength(1000);
    expect(full[0]?.removed).toHaveLength(24);
  });

  it('splits a larger change into full messages, added ids first, in order', () => {
    const added = range(0, 2500);
    const removed = range(10_000, 700);
    const messages = splitHave(added, removed);
    expect(messages.map((m) => [m.added.length, m.removed.length])).toEqual([
      [1024, 0],
      [1024, 0],
      [452, 572],
      [0, 128],
    ]);
    expect(messages.flatMap((m) => m.added)).toEqual(added);
    expect(messages.flatMap((m) => m.removed)).toEqual(removed);
    for (const message of messages) expect(decode(encode(message))).toEqual(message);
  });

  it('splits removals alone', () => {
    const messages = splitHave([], range(0, MAX_HAVE_IDS + 1));
    expect(messages.map((m) => [m.added.length, m.removed.length])).toEqual([
      [0, 1024],
      [0, 1],
    ]);
  });

  it('means the same as the whole change when applied in order (added before removed)', () => {
    const before = new Set(range(0, 3000));
    const added = range(2000, 2000);
    const removed = [...range(0, 1500), 3500];
    const apply = (set: Set<number>, a: number[], r: number[]): void => {
      for (const id of a) set.add(id);
      for (const id of r) set.delete(id);
    };
    const whole = new Set(before);
    apply(whole, added, removed);
    const split = new Set(before);
    for (const m of splitHave(added, removed)) apply(split, m.added, m.removed);
    expect([...split].sort((x, y) => x - y)).toEqual([...whole].sort((x, y) => x - y));
  });

  it('does not mutate its inputs', () => {
    const added = range(0, 2000);
    const removed = range(0, 10);
    splitHave(added, removed);
    expect(added).toEqual(range(0, 2000));
    expect(removed).toEqual(range(0, 10));
  });
});
