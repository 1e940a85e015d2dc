import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../server-seed/src/cli.ts';
import { packageCollection } from '../../../server-seed/src/packager/index.ts';
import { loadMirrorStream, MirrorCache, MirrorError, MirrorSegments, type MirrorStream } from '../../../server-seed/src/seeder/mirror.ts';
import { startServer, type RunningServer } from '../../../server-seed/src/server.ts';
import { makeTempDir, removeDir, writeTree } from './helpers.ts';
import { makeFixtures, removeFixtures } from './packager/fixtures.ts';

// A second origin (p2p-seed, seeder off) serving a packaged title; the mirror reads it over real HTTP.
let root: string;
let scratch: string;
let origin: RunningServer;
let master: string;

beforeAll(async () => {
  const fixtures = await makeFixtures();
  root = await makeTempDir();
  scratch = await makeTempDir();
  await copyFile(fixtures.files.duo360, path.join(root, 'film.mp4'));
  await copyFile(fixtures.files.duo180, path.join(root, 'film.180p.mp4'));
  await packageCollection(root, { progress: 'none' });
  await writeTree(root, {
    // A stream whose site wrote swarm metadata without a hash manifest: nothing to check segments against.
    'plain/master.m3u8': '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv.m3u8\n',
    'plain/swarm.json': '{ "version": 1, "swarmId": "plain", "trackers": ["/announce"] }\n',
    'plain/v.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns0.m4s\n#EXT-X-ENDLIST\n',
    'plain/s0.m4s': 'x',
  });
  origin = await startServer({ root, port: 0, seed: false });
  master = `${origin.url}film/master.m3u8`;
}, 60_000);

afterAll(async () => {
  await origin?.close();
  if (root) await removeDir(root);
  if (scratch) await removeDir(scratch);
  await removeFixtures();
});

async function diskSegments(stream: MirrorStream): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const rendition of stream.renditions) {
    for (const [sn, segment] of rendition.segments) {
      const file = path.join(root, 'film', ...new URL(segment.url).pathname.split('/').slice(2));
      out.set(`${rendition.key}#${sn}`, new Uint8Array(await readFile(file)));
    }
  }
  return out;
}

describe('loadMirrorStream', () => {
  it('finds the swarm id, the tracker and every segment of every rendition with its published hash', async () => {
    const stream = await loadMirrorStream(master);
    const swarm = JSON.parse(await readFile(path.join(root, 'film/swarm.json'), 'utf8')) as { swarmId: string };
    expect(stream.swarmId).toBe(swarm.swarmId);
    expect(stream.trackers).toEqual([`ws://127.0.0.1:${origin.port}/announce`]);
    // Two video renditions and the separate audio rendition, named as viewers name them.
    expect(stream.renditions.map((r) => r.key).sort()).toEqual(['180p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
    for (const rendition of stream.renditions) {
      expect(rendition.infoHash).toBe(createHash('sha1').update(`${swarm.swarmId}\n${rendition.key}`).digest('hex'));
      expect(rendition.segments.size).toBeGreaterThan(0);
    }
    for (const [, bytes] of await diskSegments(stream)) expect(bytes.byteLength).toBeGreaterThan(0);
    const hashes = JSON.parse(await readFile(path.join(root, 'film/hashes.json'), 'utf8')) as { segments: Record<string, string> };
    // Media segments only: init segments travel over HTTP, not through the swarm.
    const media = Object.entries(hashes.segments).filter(([url]) => !url.endsWith('init.mp4'));
    const all = stream.renditions.flatMap((r) => [...r.segments.values()].map((s) => s.sha256));
    expect(all.sort()).toEqual(media.map(([, digest]) => digest).sort());
  });

  it.each([
    ['a URL that is not one', 'not a url', /is not a URL/],
    ['a missing playlist', 'missing/master.m3u8', /answered HTTP 404/],
    ['a media playlist', 'film/360p/index.m3u8', /is not a multivariant playlist/],
    ['a stream without a hash manifest', 'plain/master.m3u8', /publishes no hash manifest/],
  ])('refuses %s with a reason', async (_what, target, reason) => {
    const url = target.includes('/') ? `${origin.url}${target}` : target;
    await expect(loadMirrorStream(url)).rejects.toThrow(MirrorError);
    await expect(loadMirrorStream(url)).rejects.toThrow(reason);
  });
});

describe('MirrorCache and MirrorSegments', () => {
  it('fetches each segment from the origin once, then serves it from disk, byte for byte', async () => {
    const stream = await loadMirrorStream(master);
    const cache = new MirrorCache(path.join(scratch, 'once'), 1e9);
    const truth = await diskSegments(stream);
    origin.origin.reset();
    for (let round = 0; round < 2; round += 1) {
      for (const rendition of stream.renditions) {
        const segments = new MirrorSegments(rendition, cache);
        // Several viewers asking at once still cost one fetch.
        const answers = await Promise.all(segments.held().flatMap((sn) => [segments.segment(sn), segments.segment(sn)]));
        segments.held().forEach((sn, i) => {
          const want = truth.get(`${rendition.key}#${sn}`)!;
          expect(Buffer.compare(answers[2 * i]!, want)).toBe(0);
          expect(Buffer.compare(answers[2 * i + 1]!, want)).toBe(0);
        });
      }
    }
    const total = [...truth.values()].reduce((n, b) => n + b.byteLength, 0);
    expect(origin.origin.snapshot.segmentBytes).toBe(total);
    expect(cache.fetchedBytes).toBe(total);
    expect(cache.size).toBe(total);
  });

  it('serves nothing that does not match the published hash, and says so', async () => {
    const stream = await loadMirrorStream(master);
    const lines: string[] = [];
    const cache = new MirrorCache(path.join(scratch, 'tampered'), 1e9, (line) => lines.push(line));
    const rendition = stream.renditions.find((r) => r.key === '360p/index.m3u8')!;
    const segment = rendition.segments.get(1)!;
    const file = path.join(root, 'film', ...new URL(segment.url).pathname.split('/').slice(2));
    const original = await readFile(file);
    await writeFile(file, Buffer.concat([original.subarray(0, -1), Buffer.from([original.at(-1)! ^ 0xff])]));
    try {
      const segments = new MirrorSegments(rendition, cache);
      expect(await segments.segment(1)).toBeUndefined();
      expect(cache.rejected).toBe(1);
      expect(lines.join('\n')).toMatch(/does not match its published hash/);
      expect(await readdir(path.join(scratch, 'tampered')).catch(() => [])).toEqual([]);
      // The other segments are still served.
      expect((await segments.segment(0))?.byteLength).toBeGreaterThan(0);
    } finally {
      await writeFile(file, original);
    }
  });

  it('keeps within its size cap, oldest out first, and finds its segments again after a restart', async () => {
    const stream = await loadMirrorStream(master);
    const rendition = stream.renditions.find((r) => r.key === '360p/index.m3u8')!;
    const sizes = [...(await diskSegments(stream)).entries()].filter(([k]) => k.startsWith('360p/')).map(([, b]) => b.byteLength);
    // Room for the last segment only.
    const cap = sizes.at(-1)! + 1;
    const dir = path.join(scratch, 'capped');
    const cache = new MirrorCache(dir, cap);
    const segments = new MirrorSegments(rendition, cache);
    for (const sn of segments.held()) expect(await segments.segment(sn)).toBeDefined();
    expect(cache.size).toBeLessThanOrEqual(cap);
    const last = segments.held().at(-1)!;
    const kept = rendition.segments.get(last)!.sha256;
    const files = (await readdir(dir, { recursive: true })).filter((f) => /[0-9a-f]{64}$/.test(f));
    expect(files.some((f) => f.endsWith(kept))).toBe(true);
    expect(files.some((f) => f.endsWith(rendition.segments.get(0)!.sha256))).toBe(false);

    // A new process: what is on disk counts, and a cached segment costs no fetch.
    const again = new MirrorCache(dir, cap);
    origin.origin.reset();
    expect(await new MirrorSegments(rendition, again).segment(last)).toBeDefined();
    expect(origin.origin.snapshot.segmentBytes).toBe(0);
    expect(again.size).toBe(cache.size);
  });

  it('answers undefined (never throws) when the origin fails or the segment is unknown', async () => {
    const stream = await loadMirrorStream(master);
    const rendition = stream.renditions[0]!;
    const broken = { ...rendition, segments: new Map([[0, { ...rendition.segments.get(0)!, url: `${origin.url}film/gone.m4s` }]]) };
    const segments = new MirrorSegments(broken, new MirrorCache(path.join(scratch, 'broken'), 1e9));
    expect(await segments.segment(0)).toBeUndefined();
    expect(await segments.segment(99)).toBeUndefined();
  });
});

describe('p2p-seed --mirror', () => {
  it('without DIR seeds only the mirrored stream, serving nothing over HTTP', async () => {
    const io = { out: [] as string[], err: [] as string[] };
    const cacheDir = path.join(scratch, 'cli');
    const result = await runCli(['--mirror', master, `${origin.url}plain/master.m3u8`, '--mirror-cache', cacheDir, '--max-peers', '9'], {
      out: (line) => void io.out.push(line),
      err: (line) => void io.err.push(line),
    });
    try {
      expect(result.exitCode).toBe(0);
      expect(result.server).toBeUndefined();
      expect(result.mirror?.stats).toMatchObject({ streams: [master], swarms: 3, limits: { maxPeers: 9 }, cache: { dir: cacheDir } });
      expect(io.out.join('\n')).toContain(`p2p-seed: mirroring ${master}: `);
      // The stream it cannot check is named on stderr with the reason; the other goes on.
      expect(io.err).toEqual([expect.stringMatching(/skipping .*plain\/master\.m3u8: .*publishes no hash manifest/)]);
    } finally {
      await result.mirror?.close();
    }
  });

  it('exits 1 with the reasons when no stream can be mirrored', async () => {
    const io = { out: [] as string[], err: [] as string[] };
    const result = await runCli(['--mirror', `${origin.url}missing/master.m3u8`, '--mirror-cache', path.join(scratch, 'none')], {
      out: (line) => void io.out.push(line),
      err: (line) => void io.err.push(line),
    });
    expect(result).toEqual({ exitCode: 1 });
    expect(io.err).toEqual([
      expect.stringMatching(/skipping .*missing\/master\.m3u8: .*HTTP 404/),
      'p2p-seed: error: none of the 1 stream(s) to mirror could be loaded',
    ]);
  });

  it('with DIR seeds the collection and the mirror side by side, both in /stats', async () => {
    const dir = await makeTempDir();
    try {
      const { server } = await runCli([dir, '--port', '0', '--quiet', '--mirror', master, '--mirror-cache', path.join(scratch, 'both')], {
        out: () => {},
        err: () => {},
      });
      try {
        const stats = (await (await fetch(`${server!.url}stats`)).json()) as { mirror?: { streams: string[] } };
        expect(stats.mirror?.streams).toEqual([master]);
      } finally {
        await server?.close();
      }
    } finally {
      await removeDir(dir);
    }
  });
});
