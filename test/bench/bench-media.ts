import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ffmpeg } from './ffmpeg.ts';

/** What the benchmark stream is made of; every field is part of the cache key. */
export interface BenchStreamRecipe {
  durationSeconds: number;
  /** 1: 640x360 only; 2: adds a 426x240 rendition. */
  renditions: 1 | 2;
  segmentSeconds: number;
  keyframeSeconds: number;
  fps: number;
}

export const DEFAULT_RECIPE: BenchStreamRecipe = { durationSeconds: 90, renditions: 1, segmentSeconds: 4, keyframeSeconds: 2, fps: 24 };

/** Bumped when the ffmpeg command below changes, so an old cache is not reused. */
const RECIPE_VERSION = 2;

export interface BenchStream {
  /** The collection directory to serve. */
  root: string;
  /** Path of the multivariant playlist under the root, e.g. /swarm/master.m3u8. */
  src: string;
  /** Path of the bare page that loads the player bundle. */
  page: string;
  /** Whether this run reused a stream made earlier. */
  cached: boolean;
}


/**
 * Makes the benchmark's HLS stream (fMP4, a multivariant playlist with swarm metadata and a hash manifest) and a
 * bare page, under the OS temp directory, keyed by the recipe so reruns skip ffmpeg.
 */
export async function makeBenchStream(recipe: BenchStreamRecipe): Promise<BenchStream> {
  const key = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, ...recipe })).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `p2p-video-bench-${key}`);
  const result = { root, src: '/swarm/master.m3u8', page: '/bench.html' };
  if (existsSync(join(root, 'bench.html'))) return { ...result, cached: true };

  // Built beside the cache and renamed into place, so an interrupted run never leaves half a stream behind.
  const building = `${root}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  const dir = join(building, 'swarm');
  await mkdir(dir, { recursive: true });
  try {
    await ffmpeg(ffmpegArgs(recipe, dir), 'the benchmark stream');
    const master = join(dir, 'master.m3u8');
    const playlist = await readFile(master, 'utf8');
    await writeFile(master, playlist.replace(/^#EXT-X-VERSION:\d+$/m, '$&\n#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"'));
    await writeFile(join(dir, 'hashes.json'), `${JSON.stringify(await hashManifest(dir), null, 1)}\n`);
    // Tracker of the server that serves it, no STUN or TURN: every peer is on 127.0.0.1.
    // A fixed swarm id: the server's seeder joins the swarm it names (runs without the seeder set their own).
    const swarm = { version: 1, swarmId: `p2p-video-bench-${key}`, trackers: ['/announce'], iceServers: [], hashes: 'hashes.json' };
    await writeFile(join(dir, 'swarm.json'), `${JSON.stringify(swarm)}\n`);
    await writeFile(
      join(building, 'bench.html'),
      '<!doctype html><html><head><meta charset="utf-8"><title>swarm bench</title>' +
        '<script type="module" src="/player/p2p-video.js"></script></head><body></body></html>\n',
    );
    await rm(root, { recursive: true, force: true });
    await rename(building, root);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  return { ...result, cached: false };
}

function ffmpegArgs(r: BenchStreamRecipe, dir: string): string[] {
  const gop = String(r.keyframeSeconds * r.fps);
  const input = ['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${r.fps}:duration=${r.durationSeconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${r.durationSeconds}`];
  // ~430 kbps video + 64 kbps audio ≈ 500 kbps at 360p; the 240p rendition is about half.
  const video360 = ['-b:v:0', '430k', '-maxrate:v:0', '500k', '-bufsize:v:0', '1000k'];
  const video240 = ['-b:v:1', '200k', '-maxrate:v:1', '240k', '-bufsize:v:1', '480k'];
  const maps =
    r.renditions === 2
      ? ['-filter_complex', '[0:v]split=2[a][b];[b]scale=426:240[low]', '-map', '[a]', '-map', '1:a', '-map', '[low]', '-map', '1:a',
        ...video360, ...video240, '-var_stream_map', 'v:0,a:0,name:360p v:1,a:1,name:240p']
      : ['-map', '0:v', '-map', '1:a', ...video360, '-var_stream_map', 'v:0,a:0,name:360p'];
  return [
    ...input,
    ...maps,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', '-ac', '2',
    '-f', 'hls', '-hls_time', String(r.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
    '-hls_segment_filename', join(dir, '%v/seg-%03d.m4s'), '-master_pl_name', 'master.m3u8',
    join(dir, '%v/index.m3u8'),
  ];
}

/** DESIGN.md's hash manifest, so the benchmark keeps working once peers' bytes must be verified. */
async function hashManifest(dir: string): Promise<{ version: 1; algorithm: 'sha-256'; segments: Record<string, string> }> {
  const segments: Record<string, string> = {};
  const files = (await readdir(dir, { recursive: true })).filter((f) => /\.(m4s|mp4)$/.test(f)).sort();
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    segments[relative(dir, join(dir, file)).split('\\').join('/')] = createHash('sha256').update(bytes).digest('hex');
  }
  return { version: 1, algorithm: 'sha-256', segments };
}
