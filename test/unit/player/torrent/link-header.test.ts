import { describe, expect, it } from 'vitest';
import { beaconLinkOf, parseLinkHeader, torrentLinkOf } from '../../../../player/src/torrent/link-header.ts';

const MAGNET = 'magnet:?xt=urn:btih:0cad0ebf063480ebed70804581238e88f8e54a36&dn=prog.mp4&tr=ws%3A%2F%2Fh%2Fannounce&ws=http%3A%2F%2Fh%2Fprog.mp4';

describe('parseLinkHeader', () => {
  it('reads several links with their parameters, quoted or not', () => {
    const header = `<https://x/a>; rel=preload; as="video" , <${MAGNET}>; rel="alternate"; type="application/x-bittorrent"`;
    expect(parseLinkHeader(header)).toEqual([
      { uri: 'https://x/a', params: { rel: 'preload', as: 'video' } },
      { uri: MAGNET, params: { rel: 'alternate', type: 'application/x-bittorrent' } },
    ]);
  });

  it('keeps commas and semicolons inside quotes and the first of a repeated parameter', () => {
    expect(parseLinkHeader('<a>; title="x, y; z"; rel=next; rel=prev, <b>; title="q\\"r"')).toEqual([
      { uri: 'a', params: { title: 'x, y; z', rel: 'next' } },
      { uri: 'b', params: { title: 'q"r' } },
    ]);
  });

  it('skips garbage without throwing', () => {
    expect(parseLinkHeader('nonsense, <ok>; rel=x, <unclosed')).toEqual([{ uri: 'ok', params: { rel: 'x' } }]);
    expect(parseLinkHeader('')).toEqual([]);
  });
});

describe('beaconLinkOf', () => {
  it("finds the site's beacon a file links to, resolved against the file's URL", () => {
    const header = `<${MAGNET}>; rel="alternate"; type="application/x-bittorrent", </beacon>; rel="https://p2p-video.org/rel/beacon"`;
    expect(beaconLinkOf(header, 'https://site.example/films/a.mp4')).toBe('https://site.example/beacon');
  });

  it('ignores other relations and links that are not http(s)', () => {
    expect(beaconLinkOf('</beacon>; rel="alternate"', 'https://site.example/a.mp4')).toBeUndefined();
    expect(beaconLinkOf('<javascript:alert(1)>; rel="https://p2p-video.org/rel/beacon"', 'https://site.example/a.mp4')).toBeUndefined();
    expect(beaconLinkOf(null, 'https://site.example/a.mp4')).toBeUndefined();
  });
});

describe('torrentLinkOf', () => {
  it('finds the magnet a file links to as its alternate', () => {
    expect(torrentLinkOf(`<${MAGNET}>; rel="alternate"; type="application/x-bittorrent"`)).toBe(MAGNET);
    expect(torrentLinkOf(`</x.css>; rel=preload, <${MAGNET}>; rel="ALTERNATE other"`)).toBe(MAGNET);
  });

  it('ignores other relations, other types and links that are not magnets', () => {
    expect(torrentLinkOf(`<${MAGNET}>; rel="preload"`)).toBeUndefined();
    expect(torrentLinkOf(`<${MAGNET}>; rel="alternate"; type="text/html"`)).toBeUndefined();
    expect(torrentLinkOf('<https://x/film.torrent>; rel="alternate"; type="application/x-bittorrent"')).toBeUndefined();
    expect(torrentLinkOf(null)).toBeUndefined();
  });
});
