import { describe, expect, it } from 'vitest';
import { isHlsMimeType, sourceKind, sourceMimeType } from '../../../../player/src/element/source-type.ts';

describe('sourceMimeType', () => {
  it('recognises HLS and progressive files by extension, ignoring query and fragment', () => {
    expect(sourceMimeType('/demo/master.m3u8')).toBe('application/x-mpegurl');
    expect(sourceMimeType('https://x/a.M3U8?token=1')).toBe('application/x-mpegurl');
    expect(sourceMimeType('/film.mp4#t=10')).toBe('video/mp4');
    expect(sourceMimeType('/film.webm?x=.m3u8')).toBe('video/webm');
  });

  it('takes an extension-less URL to be an HLS playlist', () => {
    expect(sourceKind('/video/123/playlist')).toBe('hls');
    expect(sourceKind('/clip.mov')).toBe('progressive');
  });

  it('accepts every HLS MIME spelling', () => {
    expect(isHlsMimeType('application/vnd.apple.mpegurl')).toBe(true);
    expect(isHlsMimeType('application/x-mpegURL')).toBe(true);
    expect(isHlsMimeType('video/mp4')).toBe(false);
    expect(isHlsMimeType(undefined)).toBe(false);
  });
});
