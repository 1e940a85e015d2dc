// The server side of progressive files over WebTorrent: .torrent files, the Link and Repr-Digest headers, the
// listing, and a Node WebTorrent client that downloads a file from the server's seeder alone (no web seed).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import bencode from 'bencode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebTorrent from 'webtorrent/index.js';
import { startServer } from '../../../../server-seed/src/index.ts';
import { beaconLinkOf } from '../../../../player/src/torrent/link-header.ts';
import type { RunningServer } from '../../../../server-seed/src/index.ts';
import { choosePieceLength } from '../../../../server-seed/src/torrent/file-hash.ts';
import { bytes, makeTempDir, rawRequest, removeDir, writeTree } from '../helpers.ts';

const run = promisify(execFile);

let dir: string;
let film: Buffer;
let running: RunningServer;
const logs: string[] = [];

beforeAll(async () => {
  dir = await makeTempDir();
  await mkdir(path.join(dir, 'root', 'sub dir'), { recursive: true });
  const filmPath = path.join(dir, 'root', 'sub dir', 'film.mp4');
  // 4 s of 320x180 H.264 + AAC: about 150 KB, ten or so 16 KiB pieces.
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', filmPath],
  ]);
  film = await readFile(filmPath);
  await writeTree(dir, {
    // Not MP4s that play: the server must list, hash and serve them all the same.
    'root/broken.mp4': film.subarray(0, Math.floor(film.length * 0.4)),
    'root/garbage.mp4': bytes(5000, 4),
    'root/empty.mp4': new Uint8Array(0),
    'root/hls/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv.m3u8\n',
    'root/hls/v.m3u8': '#EXTM3U\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n',
    'root/hls/seg0.ts': bytes(1000),
    'root/notes.txt': 'not a video',
  });
  await writeFile(path.join(dir, 'root', 'hls', 'poster.jpg'), bytes(10));
  // An upload limit far above what the tests send: the throttle is on, and downloads still complete.
  running = await startServer({ root: path.join(dir, 'root'), port: 0, seedLimits: { uploadLimit: 50_000_000 }, logger: (line) => logs.push(line) });
  await running.torrents.idle();
}, 60_000);

afterAll(async () => {
  await running?.close();
  await removeDir(dir);
});

const FILM_PATH = '/sub%20dir/film.mp4';
const origin = (): string => `http://127.0.0.1:${running.port}`;

/** The Link header's magnet, taken apart. */
function magnetOf(link: string | null): URLSearchParams {
  const match = /^<(magnet:\?[^>]+)>; rel="alternate"; type="application\/x-bittorrent"(?:, |$)/.exec(link ?? '');
  expect(match, `Link: ${link}`).not.toBeNull();
  return new URLSearchParams(match![1].slice('magnet:?'.length));
}

type Dict = Record<string, unknown>;
const text = (value: unknown): string => Buffer.from(value as Uint8Array).toString('utf8');

describe('a progressive file', () => {
  it('carries its magnet (Link) and its SHA-256 (Repr-Digest) on HEAD, GET and ranges', async () => {
    for (const init of [{ method: 'HEAD' }, {}, { headers: { Range: 'bytes=10-19' } }]) {
      const res = await fetch(`${origin()}${FILM_PATH}`, init);
      expect(res.status).toBe(init.headers ? 206 : 200);
      const magnet = magnetOf(res.headers.get('link'));
      expect(magnet.get('xt')).toMatch(/^urn:btih:[0-9a-f]{40}$/);
      expect(magnet.get('dn')).toBe('film.mp4');
      expect(magnet.get('tr')).toBe(`ws://127.0.0.1:${running.port}/announce`);
      expect(magnet.get('ws')).toBe(`${origin()}${FILM_PATH}`);
      expect(magnet.get('xs')).toBe(`${origin()}${FILM_PATH}.torrent`);
      expect(res.headers.get('repr-digest')).toBe(`sha-256=:${createHash('sha256').update(film).digest('base64')}:`);
      // Where its viewers report for the download counts.
      expect(beaconLinkOf(res.headers.get('link'), res.url)).toBe(`${origin()}/beacon`);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/\bLink\b.*\bRepr-Digest\b/);
      await res.arrayBuffer();
    }
  });

  it('has a .torrent whose info hash is the magnet\'s, whose pieces are the file\'s, with the file as web seed', async () => {
    const head = await fetch(`${origin()}${FILM_PATH}`, { method: 'HEAD' });
    const btih = magnetOf(head.headers.get('link')).get('xt')!.slice('urn:btih:'.length);
    const res = await fetch(`${origin()}${FILM_PATH}.torrent`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-bittorrent');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const torrent = bencode.decode(Buffer.from(await res.arrayBuffer())) as Dict;
    const info = torrent.info as Dict;
    expect(createHash('sha1').update(bencode.encode(info)).digest('hex')).toBe(btih);
    expect(text(torrent.announce)).toBe(`ws://127.0.0.1:${running.port}/announce`);
    expect((torrent['announce-list'] as unknown[][]).map((tier) => tier.map(text))).toEqual([[`ws://127.0.0.1:${running.port}/announce`]]);
    expect((torrent['url-list'] as unknown[]).map(text)).toEqual([`${origin()}${FILM_PATH}`]);
    expect(text(info.name)).toBe('film.mp4');
    expect(info.length).toBe(film.length);
    const pieceLength = info['piece length'] as number;
    expect(pieceLength).toBe(choosePieceLength(film.length));
    const pieces = Buffer.from(info.pieces as Uint8Array);
    expect(pieces.length).toBe(Math.ceil(film.length / pieceLength) * 20);
    for (let i = 0; i * pieceLength < film.length; i++) {
      const piece = film.subarray(i * pieceLength, (i + 1) * pieceLength);
      expect(createHash('sha1').update(piece).digest().equals(pieces.subarray(i * 20, i * 20 + 20)), `piece ${i}`).toBe(true);
    }
  });

  it('names the tracker and the web seed as the request reached the server (Host, a TLS proxy)', async () => {
    const res = await rawRequest(running.port, `${FILM_PATH}.torrent`, { headers: { Host: 'videos.example:8443', 'X-Forwarded-Proto': 'https' } });
    const torrent = bencode.decode(res.body) as Dict;
    expect(text(torrent.announce)).toBe('wss://videos.example:8443/announce');
    expect((torrent['url-list'] as unknown[]).map(text)).toEqual([`https://videos.example:8443${FILM_PATH}`]);
    const head = await rawRequest(running.port, FILM_PATH, { method: 'HEAD', headers: { Host: 'videos.example' } });
    const magnet = magnetOf(head.headers.link as string);
    expect(magnet.get('tr')).toBe('ws://videos.example/announce');
    expect(magnet.get('xs')).toBe(`http://videos.example${FILM_PATH}.torrent`);
  });

  it('is listed with its torrent in /collection.json', async () => {
    const { titles } = (await (await fetch(`${origin()}/collection.json`)).json()) as { titles: Dict[] };
    const title = titles.find((entry) => entry.id === 'sub dir/film.mp4')!;
    expect(title).toMatchObject({ type: 'progressive', src: FILM_PATH });
    const torrent = title.torrent as { infoHash: string; torrentUrl: string; magnet: string };
    expect(torrent.torrentUrl).toBe(`${FILM_PATH}.torrent`);
    const magnet = new URLSearchParams(torrent.magnet.slice('magnet:?'.length));
    expect(magnet.get('xt')).toBe(`urn:btih:${torrent.infoHash}`);
    expect(magnet.get('ws')).toBe(`${origin()}${FILM_PATH}`);
    expect(titles.find((entry) => entry.type === 'hls')?.torrent).toBeUndefined();
  });
});

describe('anything else', () => {
  it('has no Link header and no .torrent', async () => {
    for (const file of ['/hls/seg0.ts', '/hls/master.m3u8', '/notes.txt', '/empty.mp4']) {
      const res = await fetch(`${origin()}${file}`, { method: 'HEAD' });
      expect(res.status, file).toBe(200);
      expect(res.headers.get('link'), file).toBeNull();
      expect(res.headers.get('repr-digest'), file).toBeNull();
      expect((await fetch(`${origin()}${file}.torrent`)).status, `${file}.torrent`).toBe(404);
    }
    expect((await fetch(`${origin()}/missing.mp4.torrent`)).status).toBe(404);
  });

  it('hashes and serves broken MP4s as bytes, without harm', async () => {
    for (const file of ['/broken.mp4', '/garbage.mp4']) {
      const res = await fetch(`${origin()}${file}.torrent`);
      expect(res.status, file).toBe(200);
      await res.arrayBuffer();
    }
    expect((await fetch(`${origin()}/collection.json`)).status).toBe(200);
  });
});

describe('the seeder', () => {
  it('gives a WebTorrent client that has only the tracker the whole file, byte for byte', async () => {
    await running.torrentSeeder!.ready();
    // The seeder is in the swarm before the viewer announces, so the viewer's first offers reach it (on a loaded
    // run the viewer once found no peer for 25 s: the seeder had not announced yet).
    const infoHash = running.torrents.get('sub dir/film.mp4')!.infoHash;
    await expect.poll(() => running.tracker?.swarms().find((swarm) => swarm.infoHash === infoHash)?.peers ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
    const res = await fetch(`${origin()}${FILM_PATH}.torrent`);
    const torrent = bencode.decode(Buffer.from(await res.arrayBuffer())) as Dict;
    delete torrent['url-list'];
    // Two clients in one process share one WebSocket per tracker URL (bittorrent-tracker's socket pool), and the
    // tracker would then see them as one peer: the viewer reaches the same tracker by another URL.
    torrent.announce = `ws://127.0.0.1:${running.port}/announce?viewer`;
    delete torrent['announce-list'];

    const out = path.join(dir, 'download');
    const client = new WebTorrent({ dht: false, lsd: false, utPex: false, utp: false, natUpnp: false, natPmp: false, tracker: { rtcConfig: { iceServers: [] } } });
    try {
      const added = client.add(bencode.encode(torrent), { path: out });
      await new Promise<void>((resolve, reject) => {
        // Says where it stands rather than leaving a bare test timeout.
        const timer = setTimeout(() => {
          const seeder = JSON.stringify(running.torrentSeeder?.stats);
          reject(new Error(`not done after 25 s: progress ${added.progress}, peers ${added.numPeers}, seeder ${seeder}, log: ${logs.join(' | ')}`));
        }, 25_000);
        added.once('done', () => (clearTimeout(timer), resolve()));
        added.once('error', (error: Error) => (clearTimeout(timer), reject(error)));
        client.once('error', (error: Error) => (clearTimeout(timer), reject(error)));
      });
      expect(await readFile(path.join(out, 'film.mp4'))).toEqual(film);
      expect(added.infoHash).toBe(running.torrents.get('sub dir/film.mp4')?.infoHash);
    } finally {
      await new Promise<void>((resolve) => client.destroy(() => resolve()));
    }

    const stats = (await (await fetch(`${origin()}/stats`)).json()) as { torrents: { files: number; peers: number; uploadBytes: number; uploadLimit: number | null }; counts: { titles: Dict[] } };
    expect(stats.torrents.files).toBe(3);
    expect(stats.torrents.uploadLimit).toBe(50_000_000);
    expect(stats.torrents.uploadBytes).toBeGreaterThanOrEqual(film.length);
    // The seeder's upload counts for the title.
    const counted = stats.counts.titles.find((title) => title.title === 'sub dir/film.mp4');
    expect(counted?.seederUploadBytes).toBeGreaterThanOrEqual(film.length);
  }, 40_000);

  it('is not needed again after a restart: the hashes come from the cache', async () => {
    expect(logs.some((line) => /hashed 3 progressive file/.test(line))).toBe(true);
    const again: string[] = [];
    const second = await startServer({ root: path.join(dir, 'root'), port: 0, seed: false, counts: false, logger: (line) => again.push(line) });
    try {
      await second.torrents.idle();
      expect(second.torrents.get('sub dir/film.mp4')?.infoHash).toBe(running.torrents.get('sub dir/film.mp4')?.infoHash);
      expect(again.filter((line) => /hashed/.test(line))).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
