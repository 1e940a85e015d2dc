import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';
import { LiveStream } from '../../../../server-seed/src/live/live-stream.ts';
import { makeTempDir, removeDir } from '../helpers.ts';
import { FakeEncoder } from './fake-encoder.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

let dir: string;
const streams: LiveStream[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await removeDir(dir);
});

function follow(): LiveStream {
  // No timer of its own worth waiting for: each test calls scan() after the encoder writes.
  const stream = new LiveStream({ dir, name: 'cam', pollMs: 60_000 });
  streams.push(stream);
  return stream;
}

describe('LiveStream', () => {
  it('hashes each segment once the playlist lists it, and publishes exactly the window', async () => {
    const encoder = new FakeEncoder(dir);
    const stream = follow();
    const added: number[] = [];
    const removed: number[] = [];
    stream.watch(
      (sn) => added.push(sn),
      (sn) => removed.push(sn),
    );
    await stream.start();
    expect(stream.key).toBeUndefined();
    expect(stream.masterPlaylist()).toBeUndefined();

    for (let i = 0; i < 3; i++) await encoder.segment();
    await stream.scan();
    expect(stream.key).toBe('index.m3u8');
    expect(added).toEqual([0, 1, 2]);
    const manifest = JSON.parse(stream.hashManifest()) as { version: number; algorithm: string; segments: Record<string, string> };
    expect(manifest).toEqual({
      version: 1,
      algorithm: 'sha-256',
      segments: { 'seg0.ts': sha256(encoder.content(0)), 'seg1.ts': sha256(encoder.content(1)), 'seg2.ts': sha256(encoder.content(2)) },
    });
    expect(stream.segment(1)).toEqual(encoder.content(1));

    // The window slides: 3 + KEEP_BEHIND (3) segments stay held, older ones leave the swarm and the manifest.
    for (let i = 0; i < 5; i++) await encoder.segment();
    await stream.scan();
    expect(added).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(removed).toEqual([0, 1]);
    expect(stream.held()).toEqual([2, 3, 4, 5, 6, 7]);
    expect(Object.keys((JSON.parse(stream.hashManifest()) as { segments: object }).segments)).toEqual(['seg2.ts', 'seg3.ts', 'seg4.ts', 'seg5.ts', 'seg6.ts', 'seg7.ts']);
    expect(stream.segment(0)).toBeUndefined();
  });

  it('never uses a half-written playlist, and skips a listed segment that is already gone', async () => {
    const encoder = new FakeEncoder(dir);
    const stream = follow();
    for (const sn of [0, 1]) await writeFile(path.join(dir, `seg${sn}.ts`), encoder.content(sn));
    encoder.next = 2;
    // Cut off mid-line, as an encoder writing in place may be caught.
    await writeFile(path.join(dir, 'index.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nseg0.ts\n#EXTINF:2.0,\nseg1');
    await stream.scan();
    expect(stream.held()).toEqual([]);
    await rm(path.join(dir, 'seg0.ts'));
    await encoder.playlist();
    await stream.scan();
    expect(stream.held()).toEqual([1]);
  });

  it('takes a new swarm id when the encoder starts again from 0, dropping what it held', async () => {
    const encoder = new FakeEncoder(dir, { listSize: 3 });
    const stream = follow();
    const swarms: string[] = [];
    stream.onSwarm(() => swarms.push(stream.infoHash!));
    await stream.start();
    for (let i = 0; i < 6; i++) await encoder.segment();
    await stream.scan();
    const firstSwarm = stream.swarmId;
    expect(swarms).toHaveLength(1);

    const again = new FakeEncoder(dir, { listSize: 3 });
    await again.segment();
    await stream.scan();
    expect(stream.swarmId).not.toBe(firstSwarm);
    expect(swarms).toHaveLength(2);
    expect(swarms[1]).not.toBe(swarms[0]);
    expect(stream.held()).toEqual([0]);
    expect(stream.segment(0)).toEqual(again.content(0));
  });

  it('notes the end of the event (EXT-X-ENDLIST)', async () => {
    const encoder = new FakeEncoder(dir);
    const stream = follow();
    await stream.start();
    await encoder.segment();
    await encoder.playlist(true);
    await stream.scan();
    expect(stream.hasEnded).toBe(true);
  });

  it('refuses a folder that is not there', async () => {
    const stream = new LiveStream({ dir: path.join(dir, 'missing'), name: 'cam' });
    streams.push(stream);
    await expect(stream.start()).rejects.toThrow(/live folder not found/);
  });
});

describe('p2p-seed --live over HTTP', () => {
  let server: RunningServer | undefined;
  let collection: string;

  beforeEach(async () => {
    collection = await makeTempDir();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await removeDir(collection);
  });

  it('serves the wrapper playlist, swarm.json, the sliding hashes.json and the encoder\'s files', async () => {
    const encoder = new FakeEncoder(dir);
    server = await startServer({ root: collection, port: 0, host: '127.0.0.1', counts: false, seed: false, live: [{ dir, name: 'cam' }] });
    const base = `${server.url}live/cam/`;
    expect((await fetch(`${base}master.m3u8`)).status).toBe(404);

    await encoder.segment();
    await encoder.segment();
    const stream = server.live.get('cam')!;
    await stream.scan();
    const master = await fetch(`${base}master.m3u8`);
    expect(master.status).toBe(200);
    expect(master.headers.get('cache-control')).toBe('no-store');
    const text = await master.text();
    expect(text).toContain('#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"');
    expect(text.trim().split('\n').at(-1)).toBe('index.m3u8');
    expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+/);

    const swarm = (await (await fetch(`${base}swarm.json`)).json()) as { swarmId: string; trackers: string[]; hashes: string };
    expect(swarm).toMatchObject({ swarmId: stream.swarmId, trackers: ['/announce'], hashes: 'hashes.json', beacon: '/beacon' });
    const hashes = (await (await fetch(`${base}hashes.json`)).json()) as { segments: Record<string, string> };
    expect(hashes.segments).toEqual({ 'seg0.ts': sha256(encoder.content(0)), 'seg1.ts': sha256(encoder.content(1)) });

    // The encoder's own files, as written, counted as the origin's segment bytes.
    server.origin.reset();
    expect(new Uint8Array(await (await fetch(`${base}seg1.ts`)).arrayBuffer())).toEqual(encoder.content(1));
    await expect.poll(() => server!.origin.snapshot.segmentBytes).toBe(encoder.content(1).byteLength);
    expect((await fetch(`${base}index.m3u8`)).status).toBe(200);
    expect((await fetch(`${server.url}live/other/master.m3u8`)).status).toBe(404);
    // The listing (and so the gallery) has the stream.
    const { titles } = (await (await fetch(`${server.url}collection.json`)).json()) as { titles: { id: string; src: string; live?: boolean }[] };
    expect(titles).toContainEqual(expect.objectContaining({ id: 'live/cam', src: '/live/cam/master.m3u8', live: true }));
  });

  it('counts a live stream as a title of its own: viewers\' beacons and the bytes the origin sent of it', async () => {
    const encoder = new FakeEncoder(dir);
    server = await startServer({ root: collection, port: 0, host: '127.0.0.1', seed: false, counts: { path: path.join(collection, 'counts.db') }, live: [{ dir, name: 'cam' }] });
    await encoder.segment();
    await server.live.get('cam')!.scan();
    const beacon = {
      v: 1,
      session: 'live-session-00000001',
      event: 'progress',
      src: `${server.url}live/cam/master.m3u8`,
      rendition: 'index.m3u8',
      httpBytes: 1000,
      p2pBytes: 3000,
      uploadBytes: 0,
      watchSeconds: 12,
      played: true,
    };
    const posted = await fetch(`${server.url}beacon`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(beacon) });
    expect(posted.status).toBe(204);
    await (await fetch(`${server.url}live/cam/seg0.ts`)).arrayBuffer();
    await server.counts!.flush();
    const { counts } = (await (await fetch(`${server.url}stats`)).json()) as { counts: { titles: { title: string; views: number; p2pBytes: number; originBytes: number }[] } };
    expect(counts.titles).toEqual([
      expect.objectContaining({ title: 'live/cam', views: 1, p2pBytes: 3000, originBytes: encoder.content(0).byteLength }),
    ]);
  });
});
