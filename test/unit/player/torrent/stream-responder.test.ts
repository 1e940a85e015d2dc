import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../../player/src/torrent/stream-responder.ts';

describe('parseRange', () => {
  it('reads the byte ranges media elements ask for', () => {
    expect(parseRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 });
    expect(parseRange('bytes=0-1', 1000)).toEqual({ start: 0, end: 1 });
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=10-20, 30-40', 1000)).toEqual({ start: 10, end: 20 });
  });

  it('answers the whole file without a usable Range, and 416 past its end', () => {
    expect(parseRange(undefined, 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange('bytes=-', 1000)).toBeUndefined();
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=20-10', 1000)).toBe('unsatisfiable');
  });
});
