import { describe, expect, it } from 'vitest';
import { isMagnetUri, parseMagnet, resolveMagnet } from '../../../../player/src/torrent/magnet.ts';

const HEX = '0cad0ebf063480ebed70804581238e88f8e54a36';

describe('parseMagnet', () => {
  it('reads the info hash, name, trackers, web seeds and torrent URLs, decoding each', () => {
    const uri =
      `magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=My+film.mp4&tr=ws%3A%2F%2Fh%3A8080%2Fannounce&tr=wss%3A%2F%2Fb%2Fannounce` +
      `&ws=http%3A%2F%2Fh%3A8080%2Ffilm.mp4&xs=http%3A%2F%2Fh%3A8080%2Ffilm.mp4.torrent`;
    expect(parseMagnet(uri)).toEqual({
      infoHash: HEX,
      name: 'My film.mp4',
      trackers: ['ws://h:8080/announce', 'wss://b/announce'],
      webSeeds: ['http://h:8080/film.mp4'],
      torrentUrls: ['http://h:8080/film.mp4.torrent'],
    });
  });

  it('takes a base32 info hash as hex', () => {
    // 20 bytes 0x00..0x13 in base32.
    expect(parseMagnet('magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT')?.infoHash).toBe('000102030405060708090a0b0c0d0e0f10111213');
  });

  it('refuses what is not a magnet or names no usable info hash', () => {
    expect(parseMagnet('https://example.org/film.mp4')).toBeUndefined();
    expect(parseMagnet('magnet:?dn=film.mp4')).toBeUndefined();
    expect(parseMagnet('magnet:?xt=urn:btih:1234')).toBeUndefined();
    expect(parseMagnet('magnet:?xt=urn:btmh:1220' + 'a'.repeat(64))).toBeUndefined();
  });

  it('keeps the first name and skips duplicates and malformed escapes', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=a&dn=b&tr=ws%3A%2F%2Fx&tr=ws%3A%2F%2Fx&ws=%E0%A4%A&ws=http%3A%2F%2Fy%2Ff`);
    expect(m).toMatchObject({ name: 'a', trackers: ['ws://x'], webSeeds: ['http://y/f'] });
  });

  it('recognises magnet URIs', () => {
    expect(isMagnetUri(' magnet:?xt=urn:btih:x')).toBe(true);
    expect(isMagnetUri('magnet:x')).toBe(false);
    expect(isMagnetUri('/film.mp4')).toBe(false);
  });
});

describe('resolveMagnet', () => {
  it('makes relative URLs absolute and drops what a browser cannot use', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HEX}&tr=%2Fannounce&tr=udp%3A%2F%2Fx%3A80&tr=https%3A%2F%2Fy%2Fannounce&tr=wss%3A%2F%2Fz%2Fa` +
        `&ws=%2Ffilm.mp4&ws=file%3A%2F%2F%2Fetc&xs=urn%3Abtpk%3Aabc&xs=film.mp4.torrent`,
    )!;
    expect(resolveMagnet(m, 'https://site.example/video/page.html')).toMatchObject({
      trackers: ['wss://site.example/announce', 'wss://z/a'],
      webSeeds: ['https://site.example/film.mp4'],
      torrentUrls: ['https://site.example/video/film.mp4.torrent'],
    });
  });
});
