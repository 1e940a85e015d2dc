import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../../server-seed/src/cli.ts';
import { LiveMirror } from '../../../../server-seed/src/live/live-mirror.ts';
import { startMirror } from '../../../../server-seed/src/seeder/mirror-seeder.ts';
import { loadStreamHead } from '../../../../server-seed/src/seeder/mirror.ts';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';
import { bytes, makeTempDir, removeDir } from '../helpers.ts';
import { FakeEncoder } from './fake-encoder.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * An origin whose every answer the test writes: what a live origin publishes (its wrapper playlist, swarm.json, the
 * media playlist, the sliding hash manifest) can be set out of step, as it may be between two reads.
 */
class ScriptedOrigin {
  readonly files = new Map<string, string | Uint8Array>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const body = this.files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  stream(swarmId: string): void {
    this.files.set('/live/master.m3u8', '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv/index.m3u8\n');
    this.files.set('/live/swarm.json', JSON.stringify({ version: 1, swarmId, trackers: ['ws://127.0.0.1:1/announce'], hashes: 'hashes.json' }));
  }

  /** The media playlist lists `sns` (from seg<sn>.ts); the manifest publishes `hashed` of them. */
  window(sns: number[], hashed: number[] = sns, content = (sn: number) => bytes(500 + sn, sn + 7)): void {
    const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${sns[0] ?? 0}`];
    for (const sn of sns) {
      lines.push('#EXTINF:2.0,', `seg${sn}.ts`);
      this.files.set(`/live/v/seg${sn}.ts`, content(sn));
    }
    this.files.set('/live/v/index.m3u8', `${lines.join('\n')}\n`);
    const segments = Object.fromEntries(hashed.map((sn) => [`v/seg${sn}.ts`, sha256(content(sn))]));
    this.files.set('/live/hashes.json', JSON.stringify({ version: 1, algorithm: 'sha-256', segments }));
  }
}

const mirrors: LiveMirror[] = [];
async function follow(url: string, logs: string[] = []): Promise<LiveMirror> {
  const head = await loadStreamHead(url);
  expect(head.live).toBe(true);
  // No timer worth waiting for: each test reads again with poll().
  const mirror = new LiveMirror(head, { pollMs: 60_000, logger: (line) => logs.push(line) });
  mirrors.push(mirror);
  await mirror.start();
  return mirror;
}

afterEach(() => {
  for (const mirror of mirrors.splice(0)) mirror.close();
});

describe('LiveMirror following p2p-seed --live', () => {
  let dir: string;
  let collection: string;
  let origin: RunningServer;

  beforeEach(async () => {
    dir = await makeTempDir();
    collection = await makeTempDir();
    origin = await startServer({ root: collection, port: 0, host: '127.0.0.1', counts: false, seed: false, live: [{ dir, name: 'cam' }] });
  });
  afterEach(async () => {
    await origin.close();
    await removeDir(dir);
    await removeDir(collection);
  });

  it('holds exactly the bytes the origin hashed, in the same swarm, and slides with the window', async () => {
    const encoder = new FakeEncoder(dir, { listSize: 3 });
    const stream = origin.live.get('cam')!;
    for (let i = 0; i < 3; i++) await encoder.segment();
    await stream.scan();

    const mirror = await follow(`${origin.url}live/cam/master.m3u8`);
    const [rendition] = mirror.renditions;
    expect(mirror.renditions).toHaveLength(1);
    expect(mirror.trackers).toEqual([`ws://127.0.0.1:${origin.port}/announce`]);
    // Viewers of the origin announce this info hash: the mirror joins their swarm.
    expect(rendition.key).toBe('index.m3u8');
    expect(rendition.infoHash).toBe(stream.infoHash);
    expect(rendition.held()).toEqual([0, 1, 2]);
    for (const sn of [0, 1, 2]) expect(rendition.segment(sn)).toEqual(encoder.content(sn));

    const added: number[] = [];
    const removed: number[] = [];
    rendition.watch(
      (sn) => added.push(sn),
      (sn) => removed.push(sn),
    );
    for (let i = 0; i < 5; i++) {
      await encoder.segment();
      await stream.scan();
      await rendition.poll();
    }
    expect(added).toEqual([3, 4, 5, 6, 7]);
    // The playlist now starts at 5; like the origin, the mirror keeps three behind it.
    expect(removed).toEqual([0, 1]);
    expect(rendition.held()).toEqual(stream.held());
    expect(rendition.window().map((s) => s.sha256)).toEqual(stream.window().map((s) => s.sha256));
    expect(mirror.fetchedBytes).toBe([0, 1, 2, 3, 4, 5, 6, 7].reduce((n, sn) => n + encoder.content(sn).byteLength, 0));
  });

  it('follows the origin to its new swarm when the encoder starts again', async () => {
    const stream = origin.live.get('cam')!;
    const encoder = new FakeEncoder(dir, { listSize: 3 });
    for (let i = 0; i < 4; i++) await encoder.segment();
    await stream.scan();
    const mirror = await follow(`${origin.url}live/cam/master.m3u8`);
    const [rendition] = mirror.renditions;
    const swarms: string[] = [];
    rendition.onSwarm(() => swarms.push(rendition.infoHash));

    const again = new FakeEncoder(dir, { listSize: 3 });
    await again.segment();
    await stream.scan();
    await rendition.poll();
    expect(swarms).toEqual([stream.infoHash]);
    expect(rendition.held()).toEqual([0]);
    expect(rendition.segment(0)).toEqual(again.content(0));
  });
});

describe('LiveMirror and what an origin may publish', () => {
  const origin = new ScriptedOrigin();
  beforeEach(() => origin.start());
  afterEach(() => origin.close());

  it('waits for a segment whose hash is not published yet, then takes it', async () => {
    origin.stream('live/a');
    origin.window([0, 1, 2], [0, 1]);
    const mirror = await follow(`${origin.url}/live/master.m3u8`);
    const [rendition] = mirror.renditions;
    expect(rendition.held()).toEqual([0, 1]);
    const fetched = mirror.fetchedBytes;
    // Read again while the manifest still lacks it: nothing fetched.
    await rendition.poll();
    expect(mirror.fetchedBytes).toBe(fetched);
    origin.window([0, 1, 2]);
    await rendition.poll();
    expect(rendition.held()).toEqual([0, 1, 2]);
  });

  it('never holds bytes that differ from the published hash, and does not ask for them again', async () => {
    origin.stream('live/a');
    origin.window([0, 1]);
    // The origin's segment 1 is not what it published.
    origin.files.set('/live/v/seg1.ts', bytes(501, 99));
    const logs: string[] = [];
    const mirror = await follow(`${origin.url}/live/master.m3u8`, logs);
    const [rendition] = mirror.renditions;
    expect(rendition.held()).toEqual([0]);
    expect(mirror.rejected).toBe(1);
    expect(logs.join('\n')).toMatch(/seg1\.ts does not match its published hash; not served/);
    const fetched = mirror.fetchedBytes;
    await rendition.poll();
    expect(mirror.fetchedBytes).toBe(fetched);
    expect(rendition.held()).toEqual([0]);
  });

  it('keeps what it holds through an origin that stops answering, says so once, and goes on when it is back', async () => {
    origin.stream('live/a');
    origin.window([0, 1]);
    const logs: string[] = [];
    const mirror = await follow(`${origin.url}/live/master.m3u8`, logs);
    const [rendition] = mirror.renditions;
    const playlist = origin.files.get('/live/v/index.m3u8')!;
    origin.files.delete('/live/v/index.m3u8');
    await rendition.poll();
    await rendition.poll();
    expect(logs.filter((line) => line.includes('answered HTTP 404'))).toHaveLength(1);
    expect(rendition.held()).toEqual([0, 1]);
    origin.files.set('/live/v/index.m3u8', playlist);
    origin.window([1, 2]);
    await rendition.poll();
    expect(rendition.held()).toEqual([0, 1, 2]);
  });

  it('stops reading an ended stream and keeps its window', async () => {
    origin.stream('live/a');
    origin.window([0, 1]);
    const mirror = await follow(`${origin.url}/live/master.m3u8`);
    const [rendition] = mirror.renditions;
    origin.files.set('/live/v/index.m3u8', `${origin.files.get('/live/v/index.m3u8') as string}#EXT-X-ENDLIST\n`);
    await rendition.poll();
    expect(rendition.hasEnded).toBe(true);
    expect(rendition.held()).toEqual([0, 1]);
  });
});

describe('p2p-seed --live --mirror', () => {
  const origin = new ScriptedOrigin();
  beforeEach(() => origin.start());
  afterEach(() => origin.close());

  it('mirrors a live stream, and with --live refuses an on-demand one', async () => {
    origin.stream('live/a');
    origin.window([0, 1]);
    origin.files.set('/vod/master.m3u8', (origin.files.get('/live/master.m3u8') as string).replace('v/index.m3u8', 'v.m3u8'));
    origin.files.set('/vod/swarm.json', origin.files.get('/live/swarm.json')!);
    origin.files.set('/vod/hashes.json', JSON.stringify({ version: 1, algorithm: 'sha-256', segments: { 's0.ts': sha256(bytes(10, 1)) } }));
    origin.files.set('/vod/v.m3u8', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\ns0.ts\n#EXT-X-ENDLIST\n');
    origin.files.set('/vod/s0.ts', bytes(10, 1));

    const logs: string[] = [];
    const cacheDir = await makeTempDir();
    const mirror = await startMirror({ urls: [`${origin.url}/live/master.m3u8`, `${origin.url}/vod/master.m3u8`], liveOnly: true, logger: (line) => logs.push(line), cacheDir });
    try {
      expect(mirror.stats.streams).toEqual([`${origin.url}/live/master.m3u8`]);
      expect(mirror.stats.live).toMatchObject({ streams: 1, segments: 2, rejectedSegments: 0 });
      expect(mirror.stats.swarms).toBe(1);
      expect(logs.join('\n')).toMatch(/skipping .*\/vod\/master\.m3u8: not a live stream/);
    } finally {
      await mirror.close();
      await removeDir(cacheDir);
    }
  });

  it('--live alone needs folders or --mirror', async () => {
    const err: string[] = [];
    const result = await runCli(['--live'], { out: () => {}, err: (line) => err.push(line) });
    expect(result.exitCode).toBe(1);
    expect(err.join('\n')).toMatch(/--live needs the folders an encoder writes into, or --mirror/);
  });
});
