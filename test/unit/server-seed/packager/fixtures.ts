// Test media for the packager, made with ffmpeg at test time (the packager itself never calls ffmpeg), plus a
// reader that tells what an MP4 or an fMP4 segment holds according to mp4box.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createFile, MP4BoxBuffer } from 'mp4box';
import type { Movie, Sample } from 'mp4box';

const run = promisify(execFile);

export interface Fixtures {
  dir: string;
  /** Whether this ffmpeg has libx265; without it there is no `hevc` file. */
  hasX265: boolean;
  files: {
    /** 10 s, 320x180 H.264 (key frame every 1.2 s, B-frames) + stereo AAC 48 kHz, moov at the end. */
    avMoovEnd: string;
    /** The same samples with moov at the start (-movflags +faststart). */
    avFaststart: string;
    /** avMoovEnd's samples in a QuickTime file. */
    quickTime: string;
    /** avMoovEnd's samples as a fragmented MP4 (empty moov, one moof per key frame). */
    fragmented: string;
    /** 6 s H.264, no audio, moov at the end. */
    videoOnly: string;
    /** 7 s mono AAC 44.1 kHz, no video. */
    audioOnly: string;
    /** 6 s, 640x360 H.264 + stereo AAC: the top rendition of "duo". */
    duo360: string;
    /** 6 s, 320x180 H.264 + mono AAC: its 180p rendition. */
    duo180: string;
    /** 4 s, 320x180 H.265 tagged hvc1 + AAC; only when hasX265. */
    hevc?: string;
    /** The first half of avMoovEnd: no moov. */
    truncatedMoovEnd: string;
    /** The first half of avFaststart: moov, but half the sample data. */
    truncatedFaststart: string;
    /** Plain text. */
    text: string;
    /** A single mov_text subtitle track. */
    subtitles: string;
    /** MPEG-4 part 2 video, which the packager does not carry. */
    mpeg4: string;
  };
}

/** Whether this machine's ffmpeg has an encoder (e.g. libx265), asked once, synchronously, for `it.skipIf`. */
export function ffmpegHasEncoder(name: string): boolean {
  encoders ??= execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  return new RegExp(`\\b${name}\\b`).test(encoders);
}

let encoders: string | undefined;
let made: Promise<Fixtures> | undefined;

/** Makes the fixtures once per test file run (about 3 s on 2 cores). */
export function makeFixtures(): Promise<Fixtures> {
  made ??= build();
  return made;
}

export async function removeFixtures(): Promise<void> {
  const pending = made;
  made = undefined;
  const fixtures = await pending?.catch(() => undefined);
  if (fixtures) await rm(fixtures.dir, { recursive: true, force: true });
}

async function build(): Promise<Fixtures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'p2p-packager-fixtures-'));
  try {
    return await encode(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function encode(dir: string): Promise<Fixtures> {
  const file = (name: string): string => path.join(dir, name);
  const hasX265 = ffmpegHasEncoder('libx265');
  // ffmpeg options apply to the next input or output: inputs first, then the codec options of the output.
  const testsrc = (size: string, seconds: number): string[] => ['-f', 'lavfi', '-t', String(seconds), '-i', `testsrc2=size=${size}:rate=25`];
  const sine = (rate: number, seconds: number): string[] => ['-f', 'lavfi', '-t', String(seconds), '-i', `sine=frequency=440:sample_rate=${rate}`];
  // veryfast has B-frames (composition offsets, an edit list); ultrafast has none: both kinds get packaged.
  const h264 = (gop: number, preset = 'veryfast'): string[] => [
    '-c:v', 'libx264', '-preset', preset, '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
  ];
  const aac = (channels: number): string[] => ['-c:a', 'aac', '-b:a', '64k', '-ac', String(channels)];
  const files: Fixtures['files'] = {
    avMoovEnd: file('av-moov-end.mp4'),
    avFaststart: file('av-faststart.mp4'),
    quickTime: file('quicktime.mov'),
    fragmented: file('fragmented.mp4'),
    videoOnly: file('video-only.mp4'),
    audioOnly: file('audio-only.mp4'),
    duo360: file('duo.mp4'),
    duo180: file('duo.180p.mp4'),
    hevc: hasX265 ? file('hevc.mp4') : undefined,
    truncatedMoovEnd: file('truncated-moov-end.mp4'),
    truncatedFaststart: file('truncated-faststart.mp4'),
    text: file('text.mp4'),
    subtitles: file('subtitles.mp4'),
    mpeg4: file('mpeg4.mp4'),
  };
  await writeFile(file('subtitles.srt'), '1\n00:00:00,000 --> 00:00:02,000\nHello\n\n2\n00:00:02,000 --> 00:00:04,000\nWorld\n');
  await writeFile(files.text, 'This is a text file, not a video.\n');

  // Two queues, one per core.
  await Promise.all([
    (async () => {
      await ffmpeg([...testsrc('320x180', 10), ...sine(48000, 10), ...h264(30), ...aac(2), files.avMoovEnd]);
      await ffmpeg(['-i', files.avMoovEnd, '-c', 'copy', '-movflags', '+faststart', files.avFaststart]);
      await ffmpeg(['-i', files.avMoovEnd, '-c', 'copy', '-f', 'mov', files.quickTime]);
      await ffmpeg(['-i', files.avMoovEnd, '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', files.fragmented]);
      await ffmpeg([...testsrc('320x180', 6), ...h264(25, 'ultrafast'), files.videoOnly]);
      await ffmpeg([...sine(44100, 7), ...aac(1), files.audioOnly]);
      await ffmpeg(['-i', file('subtitles.srt'), '-c:s', 'mov_text', files.subtitles]);
      await ffmpeg([...testsrc('160x90', 1), '-c:v', 'mpeg4', files.mpeg4]);
    })(),
    (async () => {
      await ffmpeg([...testsrc('640x360', 6), ...sine(48000, 6), ...h264(50, 'ultrafast'), ...aac(2), files.duo360]);
      await ffmpeg([...testsrc('320x180', 6), ...sine(44100, 6), ...h264(50, 'ultrafast'), ...aac(1), files.duo180]);
      if (files.hevc) {
        await ffmpeg([
          ...testsrc('320x180', 4), ...sine(48000, 4),
          '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25:min-keyint=25:scenecut=0',
          '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p', ...aac(2), files.hevc,
        ]);
      }
    })(),
  ]);
  await writeFile(files.truncatedMoovEnd, await firstHalf(files.avMoovEnd));
  await writeFile(files.truncatedFaststart, await firstHalf(files.avFaststart));
  return { dir, hasX265, files };
}

async function ffmpeg(args: readonly string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

async function firstHalf(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}

export interface TrackFacts {
  id: number;
  type: string | undefined;
  codec: string;
  timescale: number;
  /** mdhd duration, in timescale ticks. */
  duration: number;
  samples: Sample[];
}

export interface Mp4Facts {
  movie: Movie;
  tracks: TrackFacts[];
}

/** Parses a whole (small) MP4, or an fMP4 init segment followed by one media segment, with mp4box. */
export async function readMp4(...parts: Uint8Array[]): Promise<Mp4Facts> {
  const bytes = Buffer.concat(parts);
  const iso = createFile();
  let movie: Movie | undefined;
  iso.onReady = (info) => void (movie = info);
  iso.onError = (module, message) => {
    throw new Error(`${module}: ${message}`);
  };
  iso.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 0));
  iso.flush();
  if (!movie) throw new Error('no moov');
  const info = movie;
  return {
    movie: info,
    tracks: info.tracks.map((track) => ({
      id: track.id,
      type: track.type,
      codec: track.codec,
      timescale: track.timescale,
      duration: iso.getTrackById(track.id).mdia.mdhd.duration,
      samples: iso.getTrackById(track.id).samples ?? [],
    })),
  };
}

export async function readMp4File(file: string): Promise<Mp4Facts> {
  return readMp4(await readFile(file));
}
