import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from './ffmpeg.ts';

/** What the packaging benchmark's source MP4 is made of; every field is part of the cache key. */
export interface SourceRecipe {
  durationSeconds: number;
  /** Frame height; the width is 16:9 of it, rounded to even. */
  height: number;
  fps: number;
  keyframeSeconds: number;
}

export const DEFAULT_SOURCE_RECIPE: SourceRecipe = { durationSeconds: 120, height: 720, fps: 30, keyframeSeconds: 2 };

/** Bumped when the ffmpeg command below changes, so an old cache is not reused. */
const RECIPE_VERSION = 1;

export interface BenchSource {
  file: string;
  bytes: number;
  width: number;
  height: number;
  videoKbps: number;
  audioKbps: number;
  /** Whether this run reused a file made earlier. */
  cached: boolean;
}


/**
 * Makes a progressive MP4 (H.264 + AAC, moov first) to package, under the OS temp directory, keyed by the recipe
 * so reruns skip the encode.
 */
export async function makeBenchSource(recipe: SourceRecipe): Promise<BenchSource> {
  const key = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, ...recipe })).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `p2p-video-package-bench-${key}`);
  const file = join(dir, 'source.mp4');
  const width = Math.round((recipe.height * 16) / 9 / 2) * 2;
  // ~2.5 Mb/s at 720p, scaled by pixel count so other heights stay about as hard to encode per pixel.
  const videoKbps = Math.max(200, Math.round((2500 * width * recipe.height) / (1280 * 720)));
  const audioKbps = 128;
  const made = { file, width, height: recipe.height, videoKbps, audioKbps };
  if (existsSync(file)) return { ...made, bytes: (await stat(file)).size, cached: true };

  // Encoded beside the cache and renamed into place, so an interrupted run never leaves half a file behind.
  await mkdir(dir, { recursive: true });
  const building = join(dir, `source.building-${process.pid}.mp4`);
  try {
    await ffmpeg(encodeArgs(recipe, width, videoKbps, audioKbps, building), 'the benchmark source');
    await rename(building, file);
  } catch (error) {
    await rm(building, { force: true });
    throw error;
  }
  return { ...made, bytes: (await stat(file)).size, cached: false };
}

function encodeArgs(r: SourceRecipe, width: number, videoKbps: number, audioKbps: number, output: string): string[] {
  const gop = String(Math.round(r.keyframeSeconds * r.fps));
  return [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${r.height}:rate=${r.fps}:duration=${r.durationSeconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${r.durationSeconds}`,
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps * 2}k`,
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', `${audioKbps}k`, '-ac', '2',
    '-movflags', '+faststart',
    output,
  ];
}

