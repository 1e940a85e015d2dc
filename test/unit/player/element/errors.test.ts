import { describe, expect, it } from 'vitest';
import { describeHlsError } from '../../../../player/src/element/errors.ts';

const base = { type: 'networkError', fatal: true };

describe('describeHlsError', () => {
  it('calls a 404 playlist not found, naming the file', () => {
    const e = describeHlsError({ ...base, details: 'manifestLoadError', url: 'http://x/a/master.m3u8', response: { code: 404 } });
    expect(e.code).toBe('ERR_SRC_NOT_FOUND');
    expect(e.fatal).toBe(true);
    expect(e.message).toBe('The video playlist was not found (a/master.m3u8).');
  });

  it('tells an unreachable server (status 0) from an HTTP error', () => {
    const unreachable = describeHlsError({ ...base, details: 'manifestLoadError', response: { code: 0 } });
    expect(unreachable.code).toBe('ERR_NETWORK');
    expect(unreachable.message).toMatch(/could not be reached/);
    const failing = describeHlsError({ ...base, details: 'levelLoadError', response: { code: 503 } });
    expect(failing.code).toBe('ERR_NETWORK');
    expect(failing.message).toMatch(/HTTP 503/);
  });

  it('reports parse failures as a malformed playlist with hls.js reason', () => {
    const e = describeHlsError({ ...base, details: 'manifestParsingError', reason: 'no EXTM3U delimiter' });
    expect(e.code).toBe('ERR_PLAYLIST_MALFORMED');
    expect(e.message).toContain('no EXTM3U delimiter');
    expect(describeHlsError({ ...base, details: 'levelEmptyError' }).code).toBe('ERR_PLAYLIST_MALFORMED');
  });

  it('maps media and codec failures', () => {
    expect(describeHlsError({ type: 'mediaError', fatal: true, details: 'fragParsingError' }).code).toBe('ERR_SEGMENT_NOT_MEDIA');
    expect(describeHlsError({ type: 'mediaError', fatal: true, details: 'bufferAppendError' }).code).toBe('ERR_SEGMENT_NOT_MEDIA');
    expect(describeHlsError({ type: 'networkError', fatal: true, details: 'manifestIncompatibleCodecsError' }).code).toBe(
      'ERR_CODEC_UNSUPPORTED',
    );
    expect(describeHlsError({ type: 'mediaError', fatal: true, details: 'bufferStalledError' }).code).toBe('ERR_MEDIA');
  });

  it('maps segment load failures by status and keeps the fatal flag', () => {
    const missing = describeHlsError({ ...base, fatal: false, details: 'fragLoadError', response: { code: 404 } });
    expect(missing).toMatchObject({ code: 'ERR_SRC_NOT_FOUND', fatal: false });
    expect(describeHlsError({ ...base, details: 'fragLoadTimeOut' }).code).toBe('ERR_NETWORK');
  });

  it('never loses an unknown error', () => {
    const e = describeHlsError({ type: 'otherError', fatal: true, details: 'internalException' });
    expect(e.code).toBe('ERR_UNKNOWN');
    expect(e.message).toContain('internalException');
    expect(e.toDetail()).toEqual({ code: 'ERR_UNKNOWN', message: e.message, fatal: true });
  });
});
