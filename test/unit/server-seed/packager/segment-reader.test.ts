import { copyFile, mkdir, readdir, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageCollection } from '../../../../server-seed/src/packager/index.ts';
import { InputError, openMp4 } from '../../../../server-seed/src/packager/mp4-source.ts';
import type { Mp4Source, SourceTrack } from '../../../../server-seed/src/packager/mp4-source.ts';
import { makeTempDir, removeDir } from '../helpers.ts';
import { makeFixtures, readMp4, removeFixtures } from './fixtures.ts';
import type { Fixtures } from './fixtures.ts';

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

async function withSource<T>(file: string, use: (source: Mp4Source) => Promise<T>): Promise<T> {
  const source = await openMp4(file);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

/** The first `seconds` of a track's samples. */
function firstSeconds(track: SourceTrack, seconds: number): SourceTrack['samples'] {
  return track.samples.filter((sample) => sample.dts < seconds * track.timescale);
}

describe('readSegments', () => {
  it('gives each segment as a moof and mdat header followed by its samples, read together from an interleaved file', async () => {
    const file = fixtures.files.avFaststart;
    const bytes = await readFile(file);
    await withSource(file, async (source) => {
      const video = firstSeconds(source.video!, 1.2);
      const audio = firstSeconds(source.audio!, 1.2);
      const read = await source.readSegments([{ samples: video, sequence: 1 }, { samples: audio, sequence: 1 }]);
      try {
        for (const [index, samples] of [video, audio].entries()) {
          const track = index === 0 ? source.video! : source.audio!;
          const segment = Buffer.concat(read.segments[index]);
          const parsed = (await readMp4(track.init, segment)).tracks[0];
          expect(parsed.samples.map((sample) => sample.size)).toEqual(samples.map((sample) => sample.size));
          for (const [position, sample] of parsed.samples.entries()) {
            const from = samples[position];
            const inSegment = segment.subarray(sample.offset - track.init.byteLength, sample.offset - track.init.byteLength + sample.size);
            expect(inSegment.equals(bytes.subarray(from.offset, from.offset + from.size))).toBe(true);
          }
          expect(parsed.samples.at(-1)!.offset + parsed.samples.at(-1)!.size).toBe(track.init.byteLength + segment.byteLength);
        }
      } finally {
        read.release();
      }
    });
  });

  it('reads the same bytes for a track alone as beside another one, and joins views of samples back to back', async () => {
    await withSource(fixtures.files.avMoovEnd, async (source) => {
      const video = firstSeconds(source.video!, 2);
      const audio = firstSeconds(source.audio!, 2);
      const together = await source.readSegments([{ samples: video, sequence: 3 }, { samples: audio, sequence: 3 }]);
      const expected = together.segments.map((parts) => Buffer.concat(parts));
      together.release();
      const alone = await source.readSegments([{ samples: audio, sequence: 3 }]);
      expect(Buffer.concat(alone.segments[0]).equals(expected[1])).toBe(true);
      // ffmpeg writes a few AAC frames per chunk: fewer parts than samples, plus the header.
      expect(alone.segments[0].length).toBeLessThan(1 + audio.length);
      alone.release();
      const videoAlone = await source.readSegments([{ samples: video, sequence: 3 }]);
      expect(Buffer.concat(videoAlone.segments[0]).equals(expected[0])).toBe(true);
      videoAlone.release();
    });
  });

  it('rejects with InputError when the file has lost its samples since it was opened', async () => {
    const file = path.join(scratch, 'shrinking.mp4');
    await copyFile(fixtures.files.avFaststart, file);
    await withSource(file, async (source) => {
      await truncate(file, Math.floor((await stat(file)).size / 2));
      const late = source.video!.samples.slice(-10);
      const failure = source.readSegments([{ samples: late, sequence: 1 }]);
      await expect(failure).rejects.toThrow(InputError);
      await expect(failure).rejects.toThrow(/^the file is truncated \(no data at byte \d+\)$/);
    });
  });
});

describe('packageCollection: bytes', () => {
  it('reports as its bytes what it wrote: every file of the title but the state file', async () => {
    const root = path.join(scratch, 'collection');
    const { duo360, duo180, avMoovEnd } = fixtures.files;
    await place(root, { 'films/duo.mp4': duo360, 'films/duo.180p.mp4': duo180, 'av.mp4': avMoovEnd });
    const report = await packageCollection(root, { progress: 'none' });
    expect(report.packaged.map((title) => title.title).sort()).toEqual(['av', 'films/duo']);
    for (const title of report.packaged) {
      let size = 0;
      const folder = path.join(root, ...title.title.split('/'));
      for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
        if (entry.isFile() && entry.name !== '.p2p-package.json') size += (await stat(path.join(entry.parentPath, entry.name))).size;
      }
      expect(title.bytes).toBe(size);
    }
  });
});

/** Copies fixtures into a collection, by path relative to its root. */
async function place(root: string, files: Record<string, string>): Promise<void> {
  for (const [relative, from] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await copyFile(from, path.join(root, relative));
  }
}
