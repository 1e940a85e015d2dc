import { appendFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCollection } from '../../../../server-seed/src/collection.ts';
import { hashFile } from '../../../../server-seed/src/torrent/file-hash.ts';
import { TorrentIndex, type TorrentEntry } from '../../../../server-seed/src/torrent/torrent-index.ts';
import { bytes, makeTempDir, removeDir, writeTree } from '../helpers.ts';

let dir: string;
const indexes: TorrentIndex[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
  await writeTree(dir, {
    'a.mp4': bytes(40_000, 1),
    'films/b.webm': bytes(70_000, 2),
    'empty.mp4': new Uint8Array(0),
    'hls/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv.m3u8\n',
    'hls/v.m3u8': '#EXTM3U\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n',
    'hls/s.ts': bytes(10),
  });
});

afterEach(async () => {
  await Promise.all(indexes.splice(0).map((index) => index.destroy()));
  await removeDir(dir);
});

/** An index whose hashing is counted, by file. */
function counted(): { index: TorrentIndex; hashed: string[] } {
  const hashed: string[] = [];
  const index = new TorrentIndex({
    root: dir,
    hash: (file, ...rest) => {
      hashed.push(path.relative(dir, file));
      return hashFile(file, ...rest);
    },
  });
  indexes.push(index);
  return { index, hashed };
}

describe('TorrentIndex', () => {
  it('hashes every non-empty progressive file once, and nothing of HLS titles', async () => {
    const { index, hashed } = counted();
    const added: TorrentEntry[] = [];
    index.subscribe({ add: (entry) => added.push(entry), remove: () => {} });
    index.update(await scanCollection(dir));
    await index.idle();
    expect(hashed.sort()).toEqual(['a.mp4', path.join('films', 'b.webm')]);
    expect(added.map((entry) => entry.id).sort()).toEqual(['a.mp4', 'films/b.webm']);
    expect(index.get('films/b.webm')).toMatchObject({ name: 'b.webm', size: 70_000, src: '/films/b.webm', pieceLength: 65536 });
    expect(index.isProgressive('empty.mp4')).toBe(false);
    expect(index.byInfoHash(index.get('a.mp4')!.infoHash)?.id).toBe('a.mp4');
  });

  it('reads a restart from its cache instead of hashing again', async () => {
    const first = counted();
    first.index.update(await scanCollection(dir));
    await first.index.idle();
    const second = counted();
    second.index.update(await scanCollection(dir));
    await second.index.idle();
    expect(second.hashed).toEqual([]);
    expect(second.index.get('a.mp4')?.infoHash).toBe(first.index.get('a.mp4')?.infoHash);
    expect(second.index.get('a.mp4')?.sha256).toEqual(first.index.get('a.mp4')?.sha256);
    expect((await readdir(path.join(dir, '.p2p-seed', 'torrents'))).filter((name) => name.endsWith('.torrent'))).toHaveLength(2);
  });

  it('drops the torrent of a file changed in place, hashes it again, and prunes the old cache entry at the next start', async () => {
    const { index, hashed } = counted();
    const removed: string[] = [];
    index.subscribe({ add: () => {}, remove: (entry) => removed.push(entry.id) });
    index.update(await scanCollection(dir));
    await index.idle();
    const before = index.get('a.mp4')!;

    // Same size, new bytes and mtime: only a stat tells.
    await writeFile(path.join(dir, 'a.mp4'), bytes(40_000, 9));
    const info = await stat(path.join(dir, 'a.mp4'));
    if (info.mtimeMs === before.version.mtimeMs) return; // a file system without fine mtimes: nothing to tell by
    expect(await index.current('a.mp4')).toBeUndefined();
    expect(removed).toEqual(['a.mp4']);
    await index.idle();
    const after = index.get('a.mp4')!;
    expect(after.infoHash).not.toBe(before.infoHash);
    expect(hashed.filter((file) => file === 'a.mp4')).toHaveLength(2);

    // Growing shows in the listing itself.
    await appendFile(path.join(dir, 'films', 'b.webm'), 'more');
    index.update(await scanCollection(dir));
    await index.idle();
    expect(index.get('films/b.webm')?.size).toBe(70_004);

    const restarted = counted();
    restarted.index.update(await scanCollection(dir));
    await restarted.index.idle();
    expect(restarted.hashed).toEqual([]);
    expect((await readdir(path.join(dir, '.p2p-seed', 'torrents'))).filter((name) => name.endsWith('.torrent'))).toHaveLength(2);
  });

  it('forgets a file that left the collection', async () => {
    const { index } = counted();
    index.update(await scanCollection(dir));
    await index.idle();
    await removeDir(path.join(dir, 'films'));
    index.update(await scanCollection(dir));
    expect(index.get('films/b.webm')).toBeUndefined();
    expect(index.size).toBe(1);
  });
});
