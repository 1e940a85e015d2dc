/**
 * The seeder benchmark's collection: one MP4 made with ffmpeg and packaged by p2p-seed's own packager (both kept
 * under the OS temp directory, keyed by the recipe, so reruns skip them), then cloned into N titles for the run.
 * Each clone is a real packaged title with its own swarm id, so it has its own swarms; its files are hard links
 * to the one packaged copy, so N titles cost no disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageCollection } from '../../server-seed/src/packager/index.ts';
import type { SegmentSpec } from './seeder-bench-ipc.ts';
import { ffmpeg } from './ffmpeg.ts';

export interface SourceRecipe {
  durationSeconds: number;
  /** Video bitrate; audio adds 64 kb/s. */
  videoKbps: number;
  width: number;
  height: number;
  fps: number;
  keyframeSeconds: number;
}

/** Bumped when the commands below change, so an old cache is not reused. */
const RECIPE_VERSION = 1;

export interface BenchTitle {
  /** URL path of the title folder: "/t000/". */
  path: string;
  swarmId: string;
  /** The video rendition's info hash, hex, as viewers and the seeder compute it. */
  infoHash: string;
}

export interface BenchCollection {
  /** The collection directory to serve (made for this run). */
  root: string;
  titles: BenchTitle[];
  /** The video rendition's media playlist, relative to the multivariant playlist: the swarm key. */
  key: string;
  /** Its media segments (the init segment is not shared over WebRTC). */
  segments: SegmentSpec[];
  /** Bytes of those segments in one title. */
  titleBytes: number;
  /** Whether the packaged template came from an earlier run. */
  cached: boolean;
  /** Removes the run's collection (the cached template stays). */
  remove(): Promise<void>;
}


export async function makeSeederCollection(recipe: SourceRecipe, titles: number): Promise<BenchCollection> {
  const { folder, cached } = await packagedTemplate(recipe);
  const master = await readFile(join(folder, 'master.m3u8'), 'utf8');
  const key = uriLines(master)[0];
  if (!key) throw new Error(`${folder}/master.m3u8 names no variant`);
  const media = await readFile(join(folder, ...key.split('/')), 'utf8');
  const first = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)/m.exec(media)?.[1] ?? 0);
  const hashes = JSON.parse(await readFile(join(folder, 'hashes.json'), 'utf8')) as { segments: Record<string, string> };
  const base = dirname(key);
  const segments = uriLines(media).map((uri, i): SegmentSpec => {
    const file = base === '.' ? uri : `${base}/${uri}`;
    const sha256 = hashes.segments[file];
    if (!sha256) throw new Error(`hashes.json has no hash for ${file}`);
    return { sn: first + i, file, sha256 };
  });
  let titleBytes = 0;
  for (const s of segments) titleBytes += (await readFile(join(folder, ...s.file.split('/')))).byteLength;

  const root = await mkdtemp(join(tmpdir(), 'p2p-video-seeder-bench-run-'));
  const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name !== 'swarm.json')
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));
  const swarm = JSON.parse(await readFile(join(folder, 'swarm.json'), 'utf8')) as Record<string, unknown>;
  const made: BenchTitle[] = [];
  try {
    for (let i = 0; i < titles; i += 1) {
      const id = `t${String(i).padStart(3, '0')}`;
      const dir = join(root, id);
      for (const file of files) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await link(join(folder, file), join(dir, file)).catch(() => copyFile(join(folder, file), join(dir, file)));
      }
      // A fresh swarm id per clone and per run, as the packager gives each title it packages.
      const swarmId = `${randomBytes(6).toString('hex')}/${id}`;
      await writeFile(join(dir, 'swarm.json'), `${JSON.stringify({ ...swarm, swarmId }, null, 2)}\n`);
      const infoHash = createHash('sha1').update(`${swarmId}\n${key}`).digest('hex');
      made.push({ path: `/${id}/`, swarmId, infoHash });
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return { root, titles: made, key, segments, titleBytes, cached, remove: () => rm(root, { recursive: true, force: true }) };
}

/** The packaged title every clone links to: made once per recipe. */
async function packagedTemplate(recipe: SourceRecipe): Promise<{ folder: string; cached: boolean }> {
  const id = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, ...recipe })).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `p2p-video-seeder-bench-${id}`);
  const folder = join(root, 'title');
  if (existsSync(join(folder, 'hashes.json'))) return { folder, cached: true };
  // Built beside the cache and renamed into place, so an interrupted run never leaves half a title behind.
  const building = `${root}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  try {
    await ffmpeg(encodeArgs(recipe, join(building, 'title.mp4')), 'the benchmark title');
    const report = await packageCollection(building, { progress: 'none' });
    if (report.packaged.length !== 1) throw new Error(`packaging the benchmark title failed: ${JSON.stringify(report.skipped)}`);
    await rm(join(building, 'title.mp4'));
    await rm(root, { recursive: true, force: true });
    await rename(building, root);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  return { folder, cached: false };
}

function encodeArgs(r: SourceRecipe, output: string): string[] {
  const gop = String(Math.round(r.keyframeSeconds * r.fps));
  return [
    '-f', 'lavfi', '-i', `testsrc2=size=${r.width}x${r.height}:rate=${r.fps}:duration=${r.durationSeconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${r.durationSeconds}`,
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-b:v', `${r.videoKbps}k`, '-maxrate', `${r.videoKbps}k`, '-bufsize', `${r.videoKbps * 2}k`,
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', '-ac', '2',
    '-movflags', '+faststart',
    output,
  ];
}

/** The URI lines of a playlist (not tags, not blank). */
function uriLines(playlist: string): string[] {
  return playlist
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}
