import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCollection } from '../../../server-seed/src/index.ts';
import type { Title } from '../../../server-seed/src/index.ts';
import { bytes, makeTempDir, mediaPlaylist, removeDir, writeTree } from './helpers.ts';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeDir(dir);
});

const multivariant = [
  '#EXTM3U',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio/index.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",AUDIO="aud"',
  'v360/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=2400000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aud"',
  'v720/index.m3u8',
  '',
].join('\n');

async function scan(tree: Parameters<typeof writeTree>[1]) {
  await writeTree(dir, tree);
  const warnings: string[] = [];
  const collection = await scanCollection(dir, { logger: (line) => warnings.push(line) });
  const byId = new Map<string, Title>(collection.titles.map((title) => [title.id, title]));
  return { collection, byId, warnings };
}

describe('scanCollection', () => {
  it('makes one title of a multivariant playlist and the media playlists it names', async () => {
    const v360 = mediaPlaylist([['seg0.m4s', 6.006], ['seg1.m4s', 6.006], ['seg2.m4s', 2.002]], '#EXT-X-MAP:URI="init.mp4"');
    const v720 = mediaPlaylist([['seg0.m4s', 6], ['seg1.m4s', 6]], '#EXT-X-MAP:URI="init.mp4"');
    const audio = mediaPlaylist([['seg0.m4s', 6]], '#EXT-X-MAP:URI="init.mp4"');
    const { collection, byId, warnings } = await scan({
      'demo/master.m3u8': multivariant,
      'demo/v360/index.m3u8': v360,
      'demo/v360/init.mp4': bytes(100),
      'demo/v360/seg0.m4s': bytes(1000),
      'demo/v360/seg1.m4s': bytes(1000),
      'demo/v360/seg2.m4s': bytes(500),
      'demo/v720/index.m3u8': v720,
      'demo/v720/init.mp4': bytes(100),
      'demo/v720/seg0.m4s': bytes(2000),
      'demo/v720/seg1.m4s': bytes(2000),
      'demo/audio/index.m3u8': audio,
      'demo/audio/init.mp4': bytes(50),
      'demo/audio/seg0.m4s': bytes(300),
    });
    expect(warnings).toEqual([]);
    expect(collection.version).toBe(1);
    expect(collection.titles).toHaveLength(1);
    const demo = byId.get('demo')!;
    expect(demo).toEqual({
      id: 'demo',
      name: 'demo',
      src: '/demo/master.m3u8',
      type: 'hls',
      duration: 14.014,
      renditions: [
        { width: 640, height: 360, bandwidth: 800000, codecs: 'avc1.4d401e,mp4a.40.2' },
        { width: 1280, height: 720, bandwidth: 2400000, codecs: 'avc1.4d401f,mp4a.40.2' },
      ],
      bytes:
        Buffer.byteLength(multivariant) + Buffer.byteLength(v360) + Buffer.byteLength(v720) + Buffer.byteLength(audio) +
        100 + 1000 + 1000 + 500 + 100 + 2000 + 2000 + 50 + 300,
    });
  });

  it('makes a title of a media playlist no multivariant playlist names, summing its segment durations', async () => {
    const teaser = mediaPlaylist([['a.ts', 4], ['b.ts', 3.5]]);
    const { byId } = await scan({ 'teaser/index.m3u8': teaser, 'teaser/a.ts': bytes(10), 'teaser/b.ts': bytes(20) });
    expect(byId.get('teaser')).toMatchObject({ src: '/teaser/index.m3u8', type: 'hls', duration: 7.5, renditions: [], bytes: Buffer.byteLength(teaser) + 30 });
  });

  it('names titles by their file when a folder holds several', async () => {
    const { collection } = await scan({
      'clips/first_clip.m3u8': mediaPlaylist([['a.ts', 1]]),
      'clips/second-clip.m3u8': mediaPlaylist([['b.ts', 2]]),
      'root-level.m3u8': mediaPlaylist([['c.ts', 3]]),
    });
    expect(collection.titles.map(({ id, name, src }) => ({ id, name, src }))).toEqual([
      { id: 'clips/first_clip.m3u8', name: 'first clip', src: '/clips/first_clip.m3u8' },
      { id: 'root-level.m3u8', name: 'root level', src: '/root-level.m3u8' },
      { id: 'clips/second-clip.m3u8', name: 'second clip', src: '/clips/second-clip.m3u8' },
    ]);
  });

  it('lists MP4, M4V and WebM files as progressive titles with readable names and URL-safe src', async () => {
    const { collection } = await scan({
      'big_buck-bunny.webm': bytes(123),
      'films/My Film.mp4': bytes(45),
      'films/old.m4v': bytes(6),
      'films/notes.txt': 'not a title',
    });
    expect(collection.titles).toEqual([
      { id: 'big_buck-bunny.webm', name: 'big buck bunny', src: '/big_buck-bunny.webm', type: 'progressive', duration: null, renditions: [], bytes: 123 },
      { id: 'films/My Film.mp4', name: 'My Film', src: '/films/My%20Film.mp4', type: 'progressive', duration: null, renditions: [], bytes: 45 },
      { id: 'films/old.m4v', name: 'old', src: '/films/old.m4v', type: 'progressive', duration: null, renditions: [], bytes: 6 },
    ]);
  });

  it('does not list the source MP4s of an HLS title (renditions too), nor fMP4 init segments, as titles', async () => {
    const { collection } = await scan({
      'demo.mp4': bytes(10),
      'demo.240p.mp4': bytes(10),
      'other.480p.mp4': bytes(10),
      'demo/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n',
      'demo/v0/index.m3u8': mediaPlaylist([['seg0.mp4', 2]], '#EXT-X-MAP:URI="init.mp4"'),
      'demo/v0/init.mp4': bytes(10),
      'demo/v0/seg0.mp4': bytes(10),
      'other.mp4': bytes(10),
    });
    expect(collection.titles.map((title) => title.id)).toEqual(['demo', 'other.mp4', 'other.480p.mp4']);
  });

  it("gives a folder title its poster: the site's own image first, else the packager's poster.mp4", async () => {
    const packaged = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n';
    const media = mediaPlaylist([['seg-00000.m4s', 2]], '#EXT-X-MAP:URI="init.mp4"');
    const { collection, byId } = await scan({
      'films/packaged/master.m3u8': packaged,
      'films/packaged/180p/index.m3u8': media,
      'films/packaged/poster.mp4': bytes(10),
      'films/own image/master.m3u8': packaged,
      'films/own image/180p/index.m3u8': media,
      'films/own image/poster.mp4': bytes(10),
      'films/own image/poster.png': bytes(10),
      'films/own image/poster.jpg': bytes(10),
      'plain/index.m3u8': mediaPlaylist([['a.ts', 2]]),
      'clips/one.m3u8': mediaPlaylist([['a.ts', 1]]),
      'clips/two.m3u8': mediaPlaylist([['b.ts', 1]]),
      'clips/poster.jpg': bytes(10),
      'clips/poster.mp4': bytes(10),
      'film.mp4': bytes(10),
    });
    expect(byId.get('films/packaged')?.poster).toBe('/films/packaged/poster.mp4');
    expect(byId.get('films/own image')?.poster).toBe('/films/own%20image/poster.jpg');
    // Neither a title without one, nor one of several in a folder (whose would it be?), nor a progressive file.
    for (const id of ['plain', 'clips/one.m3u8', 'clips/two.m3u8', 'film.mp4']) expect(byId.get(id), id).not.toHaveProperty('poster');
    // A poster is not streamed: not counted in the title's bytes, and never a title of its own.
    expect(byId.get('films/packaged')?.bytes).toBe(Buffer.byteLength(packaged) + Buffer.byteLength(media));
    expect(collection.titles.map((title) => title.id).sort()).toEqual(['clips/one.m3u8', 'clips/two.m3u8', 'film.mp4', 'films/own image', 'films/packaged', 'plain']);
  });

  it('skips a malformed playlist with one warning and keeps the rest', async () => {
    const { collection, warnings } = await scan({
      'broken/master.m3u8': '<html>not a playlist</html>',
      'empty.m3u8': '#EXTM3U\n',
      'good/index.m3u8': mediaPlaylist([['a.ts', 2]]),
    });
    expect(collection.titles.map((title) => title.id)).toEqual(['good']);
    expect(warnings).toEqual([
      'p2p-seed: warning: skipped broken/master.m3u8: not an HLS playlist (no #EXTM3U header)',
      'p2p-seed: warning: skipped empty.m3u8: has neither variants nor segments',
    ]);
  });

  it('warns about a variant playlist that is missing and leaves the duration unknown', async () => {
    const { byId, warnings } = await scan({ 'demo/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0.m3u8\n' });
    expect(byId.get('demo')).toMatchObject({ duration: null, renditions: [{ bandwidth: 1 }] });
    expect(warnings).toEqual(['p2p-seed: warning: skipped demo/v0.m3u8: file not found']);
  });

  it('skips dot directories, node_modules and anything deeper than four levels', async () => {
    const { collection } = await scan({
      '.cache/hidden.mp4': bytes(1),
      '.dotfile.mp4': bytes(1),
      'node_modules/pkg/video.mp4': bytes(1),
      'a/b/c/d/four-deep.mp4': bytes(1),
      'a/b/c/d/e/five-deep.mp4': bytes(1),
    });
    expect(collection.titles.map((title) => title.id)).toEqual(['a/b/c/d/four-deep.mp4']);
  });

  it('sorts titles by name, numbers in order', async () => {
    const { collection } = await scan({ 'Episode 10.mp4': bytes(1), 'episode 2.mp4': bytes(1), 'alpha.webm': bytes(1) });
    expect(collection.titles.map((title) => title.name)).toEqual(['alpha', 'episode 2', 'Episode 10']);
  });

  it('rejects when the root does not exist', async () => {
    await expect(scanCollection(path.join(dir, 'missing'))).rejects.toThrow();
  });
});
