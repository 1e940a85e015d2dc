import { describe, expect, it } from 'vitest';
import { moovRange } from '../../../../player/src/torrent/media-layout.ts';

function box(type: string, size: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, size);
  bytes.set(new TextEncoder().encode(type), 4);
  return bytes;
}

/** The first `length` bytes of a file made of these boxes (their bodies zero). */
function head(boxes: [string, number][], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const [type, size] of boxes) {
    if (offset >= length) break;
    out.set(box(type, size).subarray(0, Math.max(0, Math.min(size, length - offset, 8))), offset);
    offset += size;
  }
  return out;
}

describe('moovRange', () => {
  it('finds the index at the start of a faststart MP4', () => {
    expect(moovRange(head([['ftyp', 32], ['moov', 5000], ['mdat', 1_000_000]], 65536), 1_005_032)).toEqual({ start: 32, end: 5031 });
  });

  it('points past the media data when the index is at the end', () => {
    expect(moovRange(head([['ftyp', 32], ['free', 8], ['mdat', 1_000_000], ['moov', 5000]], 65536), 1_005_040)).toEqual({ start: 1_000_040, end: 1_005_039 });
  });

  it('reads a 64-bit box size', () => {
    const bytes = head([['ftyp', 32]], 4096);
    const view = new DataView(bytes.buffer);
    view.setUint32(32, 1);
    bytes.set(new TextEncoder().encode('mdat'), 36);
    view.setBigUint64(40, 3_000_000_000n);
    expect(moovRange(bytes, 3_000_010_032)).toEqual({ start: 3_000_000_032, end: 3_000_010_031 });
  });

  it('cannot tell when the bytes end inside a box header, or for what is not an MP4', () => {
    expect(moovRange(head([['ftyp', 32], ['free', 4060], ['moov', 100]], 4096), 5000)).toBeUndefined();
    expect(moovRange(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0]), 100)).toBeUndefined();
    expect(moovRange(head([['ftyp', 32], ['junk', 4]], 64), 100)).toBeUndefined();
  });
});
