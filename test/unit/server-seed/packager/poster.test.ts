import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMp4 } from '../../../../server-seed/src/packager/mp4-source.ts';
import type { Mp4Source, SourceTrack } from '../../../../server-seed/src/packager/mp4-source.ts';
import { buildPoster, posterRendition } from '../../../../server-seed/src/packager/poster.ts';
import { makeTempDir, removeDir } from '../helpers.ts';
import { makeFixtures, readMp4, readMp4File, removeFixtures } from './fixtures.ts';
import type { Fixtures } from './fixtures.ts';

const run = promisify(execFile);

let fixtures: Fixtures;
let scratch: string;

beforeAll(async () => {
  fixtures = await makeFixtures();
  scratch = await makeTempDir();
}, 60_000);

afterAll(async () => {
  if (scratch) await removeDir(scratch);
  await removeFixtures();
});

/** Opens `file`, builds its poster and closes it again. */
async function posterOf(file: string): Promise<{ poster: Uint8Array; track: SourceTrack }> {
  const source = await openMp4(file);
  try {
    if (!source.video) throw new Error(`${file} has no video`);
    const poster = await buildPoster(source, source.video);
    if (!poster) throw new Error('no poster');
    return { poster, track: source.video };
  } finally {
    await source.close();
  }
}

describe('buildPoster', () => {
  for (const name of ['avMoovEnd', 'avFaststart', 'fragmented', 'quickTime', 'videoOnly'] as const) {
    it(`holds the first key frame of ${name} alone, after the rendition's own init segment`, async () => {
      const file = fixtures.files[name];
      const { poster, track } = await posterOf(file);
      expect(Buffer.from(poster.subarray(0, track.init.byteLength)).equals(Buffer.from(track.init))).toBe(true);

      const parsed = await readMp4(poster);
      expect(parsed.tracks).toHaveLength(1);
      const [video] = parsed.tracks;
      expect(video.type).toBe('video');
      expect(video.codec).toBe(track.codec);
      expect(video.samples).toHaveLength(1);
      const [sample] = video.samples;
      expect(sample.is_sync).toBe(true);

      const source = (await readMp4File(file)).tracks.find((candidate) => candidate.type === 'video');
      const key = source?.samples.find((candidate) => candidate.is_sync);
      if (!key) throw new Error('no key frame in the source');
      expect(key).toBe(source?.samples[0]);
      const sourceBytes = (await readFile(file)).subarray(key.offset, key.offset + key.size);
      expect(Buffer.from(poster.subarray(sample.offset, sample.offset + sample.size)).equals(sourceBytes)).toBe(true);
      expect(sample.offset + sample.size).toBe(poster.byteLength);
    });
  }

  it('makes a file ffmpeg decodes into exactly one frame of the rendition size', async () => {
    const { poster } = await posterOf(fixtures.files.avMoovEnd);
    const file = path.join(scratch, 'poster.mp4');
    await writeFile(file, poster);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,width,height,nb_read_frames', '-of', 'json', file]);
    expect(JSON.parse(stdout).streams).toEqual([{ codec_type: 'video', width: 320, height: 180, nb_read_frames: '1' }]);
  });
});

describe('posterRendition', () => {
  const rendition = (height: number, bytes = 1000): { name: string; source: Mp4Source; track: SourceTrack } => ({
    name: `${height}p`,
    source: {} as Mp4Source,
    track: { height, bytes } as SourceTrack,
  });

  it('takes the smallest rendition at least 360 px tall', () => {
    expect(posterRendition([rendition(1080), rendition(720), rendition(360), rendition(240)])?.name).toBe('360p');
    expect(posterRendition([rendition(1080), rendition(480)])?.name).toBe('480p');
  });

  it('takes the tallest when none reaches 360 px, and none without video', () => {
    expect(posterRendition([rendition(180), rendition(240)])?.name).toBe('240p');
    expect(posterRendition([])).toBeUndefined();
  });
});
