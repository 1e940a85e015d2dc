import { describe, expect, it } from 'vitest';
import { progressiveMimeType, sourceKind, sourceMimeType, TORRENT_MIME } from '../../../../player/src/element/source-type.ts';
import { TECH_OPTION } from '../../../../player/src/element/hls-source-handler.ts';
import { registerTorrentSourceHandler, type TorrentSourceFactory } from '../../../../player/src/torrent/torrent-source-handler.ts';

describe('which sources go through a torrent', () => {
  it('recognises magnet URIs, progressive files and HLS', () => {
    expect(sourceMimeType('magnet:?xt=urn:btih:abc&dn=film.mp4')).toBe(TORRENT_MIME);
    expect(sourceKind('magnet:?xt=urn:btih:abc&dn=film.m3u8')).toBe('torrent');
    expect(sourceKind('https://h/film.webm')).toBe('progressive');
    expect(sourceKind('https://h/master.m3u8')).toBe('hls');
    expect(progressiveMimeType('film.mp4')).toBe('video/mp4');
    expect(progressiveMimeType('Film.WEBM')).toBe('video/webm');
    expect(progressiveMimeType('notes.txt')).toBeUndefined();
    expect(progressiveMimeType('master.m3u8')).toBeUndefined();
  });

  it('hands a magnet to the player that asks for it, and nothing to players <p2p-video> did not make', () => {
    let handler: { canHandleSource(source: object, options?: object): string; handleSource(source: object, tech: object, options: object): unknown } | undefined;
    const Html5 = { registerSourceHandler: (h: typeof handler, index?: number) => ((handler = h), expect(index).toBe(0)) };
    const vjs = { getTech: () => Html5 } as unknown as Parameters<typeof registerTorrentSourceHandler>[0];
    registerTorrentSourceHandler(vjs);
    registerTorrentSourceHandler(vjs); // once per tech
    const magnet = { src: 'magnet:?xt=urn:btih:abc', type: TORRENT_MIME };
    const created: object[] = [];
    const factory: TorrentSourceFactory = {
      handlesTorrent: (source) => source.type === TORRENT_MIME,
      createTorrentSession: (source) => (created.push(source), { dispose: () => undefined }),
    };
    expect(handler!.canHandleSource(magnet, { [TECH_OPTION]: factory })).toBe('maybe');
    expect(handler!.canHandleSource(magnet, {})).toBe('');
    expect(handler!.canHandleSource({ src: '/a.m3u8', type: 'application/x-mpegurl' }, { [TECH_OPTION]: factory })).toBe('');
    handler!.handleSource(magnet, { el: () => ({}), setSrc: () => undefined }, { [TECH_OPTION]: factory });
    expect(created).toEqual([magnet]);
  });
});
