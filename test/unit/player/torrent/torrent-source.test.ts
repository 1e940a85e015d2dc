import { describe, expect, it } from 'vitest';
import { findBeaconLink, findTorrentSource, torrentFileUrl } from '../../../../player/src/torrent/torrent-source.ts';

const HASH = '0cad0ebf063480ebed70804581238e88f8e54a36';
const TORRENT = new TextEncoder().encode('d8:announce21:ws://h:8080/announcee');
const link = (extra = ''): string =>
  `<magnet:?xt=urn:btih:${HASH}&dn=prog.mp4&tr=%2Fannounce&ws=http%3A%2F%2Fh%3A8080%2Fprog.mp4${extra}>; rel="alternate"; type="application/x-bittorrent"`;

/** A fake origin: answers by method and URL, records what was asked. */
function origin(routes: Record<string, () => Response | Promise<Response>>): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const fake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const key = `${init?.method ?? 'GET'} ${String(input)}`;
    asked.push(key);
    const route = routes[key];
    if (!route) return new Response('not found', { status: 404 });
    return route();
  };
  return { fetch: fake as typeof fetch, asked };
}

describe('findTorrentSource', () => {
  it('takes the Link magnet and the .torrent beside the file, asked at once', async () => {
    const o = origin({
      'HEAD http://h:8080/prog.mp4': () => new Response(null, { headers: { Link: link() } }),
      'GET http://h:8080/prog.mp4.torrent': () => new Response(TORRENT),
    });
    const source = await findTorrentSource('http://h:8080/prog.mp4', { fetch: o.fetch });
    expect(o.asked.sort()).toEqual(['GET http://h:8080/prog.mp4.torrent', 'HEAD http://h:8080/prog.mp4']);
    expect(source).toEqual({
      infoHash: HASH,
      name: 'prog.mp4',
      trackers: ['ws://h:8080/announce'],
      webSeeds: ['http://h:8080/prog.mp4'],
      torrentUrls: [],
      torrentFile: TORRENT,
      fileUrl: 'http://h:8080/prog.mp4',
    });
  });

  it("notes the file's size from the HEAD (so the video can be given the stream early), not an encoded body's", async () => {
    const sized = origin({ 'HEAD http://h/f.mp4': () => new Response(null, { headers: { Link: link(), 'Content-Length': '123456' } }) });
    expect((await findTorrentSource('http://h/f.mp4', { fetch: sized.fetch }))?.fileLength).toBe(123456);
    const encoded = origin({ 'HEAD http://h/f.mp4': () => new Response(null, { headers: { Link: link(), 'Content-Length': '1234', 'Content-Encoding': 'gzip' } }) });
    const source = await findTorrentSource('http://h/f.mp4', { fetch: encoded.fetch });
    expect(source?.infoHash).toBe(HASH);
    expect(source?.fileLength).toBeUndefined();
  });

  it('plays from the Link alone when there is no .torrent, and from the .torrent alone without a Link', async () => {
    const linkOnly = origin({ 'HEAD http://h/f.webm': () => new Response(null, { headers: { Link: link() } }) });
    expect(await findTorrentSource('http://h/f.webm', { fetch: linkOnly.fetch })).toMatchObject({ infoHash: HASH, torrentFile: undefined });
    const fileOnly = origin({ 'GET http://h/f.webm.torrent': () => new Response(TORRENT) });
    expect(await findTorrentSource('http://h/f.webm', { fetch: fileOnly.fetch })).toEqual({
      torrentFile: TORRENT,
      trackers: [],
      webSeeds: [],
      torrentUrls: [],
      fileUrl: 'http://h/f.webm',
    });
  });

  it('finds nothing for a plain file: no Link, no .torrent, or an error page served as one', async () => {
    const plain = origin({ 'HEAD http://h/f.mp4': () => new Response(null, { headers: { Link: '</style.css>; rel=preload' } }) });
    expect(await findTorrentSource('http://h/f.mp4', { fetch: plain.fetch })).toBeUndefined();
    const html = origin({ 'GET http://h/f.mp4.torrent': () => new Response('<html>soft 404</html>', { status: 200 }) });
    expect(await findTorrentSource('http://h/f.mp4', { fetch: html.fetch })).toBeUndefined();
    const failing = origin({
      'HEAD http://h/f.mp4': () => Promise.reject(new TypeError('network')),
      'GET http://h/f.mp4.torrent': () => new Response('busy', { status: 503 }),
    });
    expect(await findTorrentSource('http://h/f.mp4', { fetch: failing.fetch })).toBeUndefined();
  });

  it('takes a magnet URI as it is, asking the network nothing', async () => {
    const o = origin({});
    const source = await findTorrentSource(`magnet:?xt=urn:btih:${HASH}&ws=http%3A%2F%2Fh%2Fprog.mp4&xs=http%3A%2F%2Fh%2Fprog.mp4.torrent`, { fetch: o.fetch });
    expect(o.asked).toEqual([]);
    expect(source).toEqual({ infoHash: HASH, name: undefined, trackers: [], webSeeds: ['http://h/prog.mp4'], torrentUrls: ['http://h/prog.mp4.torrent'] });
    expect(await findTorrentSource('magnet:?dn=nothing', { fetch: o.fetch })).toBeUndefined();
  });

  it('gives up on an origin that does not answer in time, and stops when aborted', async () => {
    const hanging = { fetch: ((_: unknown, init?: RequestInit) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as typeof fetch };
    expect(await findTorrentSource('http://h/f.mp4', { fetch: hanging.fetch, timeoutMs: 20 })).toBeUndefined();
    const controller = new AbortController();
    const pending = findTorrentSource('http://h/f.mp4', { fetch: hanging.fetch, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });
});

describe('torrentFileUrl', () => {
  it('adds .torrent to the path, keeping the query and dropping the fragment', () => {
    expect(torrentFileUrl('https://cdn.example/v/film.mp4?token=abc#t=10')).toBe('https://cdn.example/v/film.mp4.torrent?token=abc');
  });
});

describe('findBeaconLink', () => {
  it("reads the beacon the file's response links, with one HEAD and nothing else", async () => {
    const o = origin({
      'HEAD http://h:8080/films/prog.mp4': () => new Response(null, { headers: { Link: `${link()}, </beacon>; rel="https://p2p-video.org/rel/beacon"` } }),
    });
    expect(await findBeaconLink('http://h:8080/films/prog.mp4', { fetch: o.fetch })).toBe('http://h:8080/beacon');
    expect(o.asked).toEqual(['HEAD http://h:8080/films/prog.mp4']);
  });

  it('finds none without the link, on an error, or when the origin does not answer', async () => {
    const plain = origin({ 'HEAD http://h/a.mp4': () => new Response(null, { headers: { Link: link() } }) });
    expect(await findBeaconLink('http://h/a.mp4', { fetch: plain.fetch })).toBeUndefined();
    const refused = origin({ 'HEAD http://h/a.mp4': () => new Response(null, { status: 503, headers: { Link: '</beacon>; rel="https://p2p-video.org/rel/beacon"' } }) });
    expect(await findBeaconLink('http://h/a.mp4', { fetch: refused.fetch })).toBeUndefined();
    const silent = (async (_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as typeof fetch;
    expect(await findBeaconLink('http://h/a.mp4', { fetch: silent, timeoutMs: 20 })).toBeUndefined();
  });
});
