import { describe, expect, it } from 'vitest';
import { parseBeacon } from '../../../../server-seed/src/counts/beacon.ts';
import { MinuteLimit } from '../../../../server-seed/src/minute-limit.ts';

const good = {
  v: 1,
  session: 'abcdefghijklmnop_-12',
  event: 'progress',
  src: 'https://site.example/film/master.m3u8',
  rendition: '360p/index.m3u8',
  httpBytes: 1000,
  p2pBytes: 3000,
  uploadBytes: 500,
  watchSeconds: 12.5,
  played: true,
};

const parse = (doc: unknown) => parseBeacon(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)));

describe('parseBeacon', () => {
  it('takes a well-formed beacon and ignores unknown fields', () => {
    expect(parse({ ...good, extra: { nested: true } })).toEqual({ ok: true, value: good });
    const { rendition: _, ...withoutRendition } = good;
    expect(parse(withoutRendition)).toEqual({ ok: true, value: withoutRendition });
  });

  it.each([
    ['not JSON', '{"v":1,', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['another version', { ...good, v: 2 }, /"v"/],
    ['a short session', { ...good, session: 'short' }, /"session"/],
    ['a session with other characters', { ...good, session: 'abcdefghijklmnop/../x' }, /"session"/],
    ['a session of 65 characters', { ...good, session: 'a'.repeat(65) }, /"session"/],
    ['an unknown event', { ...good, event: 'pause' }, /"event"/],
    ['a relative src', { ...good, src: '/film/master.m3u8' }, /"src"/],
    ['a src of another scheme', { ...good, src: 'ftp://site.example/film/master.m3u8' }, /"src"/],
    ['a long rendition', { ...good, rendition: 'x'.repeat(201) }, /"rendition"/],
    ['a rendition that is no string', { ...good, rendition: 3 }, /"rendition"/],
    ['negative bytes', { ...good, httpBytes: -1 }, /"httpBytes"/],
    ['fractional bytes', { ...good, p2pBytes: 1.5 }, /"p2pBytes"/],
    ['bytes as a string', { ...good, uploadBytes: '5' }, /"uploadBytes"/],
    ['unsafe integers', { ...good, httpBytes: 2 ** 53 }, /"httpBytes"/],
    ['missing bytes', { ...good, p2pBytes: undefined }, /"p2pBytes"/],
    ['negative watch time', { ...good, watchSeconds: -0.1 }, /"watchSeconds"/],
    ['huge watch time', { ...good, watchSeconds: 1e7 + 1 }, /"watchSeconds"/],
    ['played as a string', { ...good, played: 'true' }, /"played"/],
  ])('refuses %s with 400 and a message', (_name, doc, message) => {
    const result = parse(doc);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(400);
      expect(result.message).toMatch(message);
    }
  });
});

describe('MinuteLimit', () => {
  it('allows the limit per address per minute, then again the next minute', () => {
    let now = 0;
    const limit = new MinuteLimit(2, () => now);
    expect([limit.take('a'), limit.take('a'), limit.take('a'), limit.take('b')]).toEqual([true, true, false, true]);
    now = 60_000;
    expect(limit.take('a')).toBe(true);
  });
});
