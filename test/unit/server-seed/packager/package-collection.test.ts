import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Parser } from 'm3u8-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packageCollection } from '../../../../server-seed/src/packager/index.ts';
import type { PackageReport } from '../../../../server-seed/src/packager/index.ts';
import { makeTempDir, removeDir } from '../helpers.ts';
import { ffmpegHasEncoder, makeFixtures, readMp4, readMp4File, removeFixtures } from './fixtures.ts';
import type { Fixtures, TrackFacts } from './fixtures.ts';

const run = promisify(execFile);
const hasX265 = ffmpegHasEncoder('libx265');
if (!hasX265) console.warn('NOTE: this ffmpeg has no libx265: the H.265 packaging test is skipped');

/** What m3u8-parser gives for the playlists the packager writes (its own typings cover less). */
interface Parsed {
  version?: number;
  targetDuration?: number;
  playlistType?: string;
  endList?: boolean;
  independentSegments?: boolean;
  segments: { uri: string; duration: number; map?: { uri?: string } }[];
  playlists?: {
    uri: string;
    attributes: { BANDWIDTH?: number; 'AVERAGE-BANDWIDTH'?: string; CODECS?: string; RESOLUTION?: { width: number; height: number }; 'FRAME-RATE'?: number; AUDIO?: string };
  }[];
  mediaGroups?: { AUDIO?: Record<string, Record<string, { uri?: string; default?: boolean }>> };
}

function parsePlaylist(text: string): Parsed {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest as unknown as Parsed;
}

let fixtures: Fixtures;
let root: string;
let first: PackageReport;
const firstLines: string[] = [];

const GOOD_TITLES = [
  'av-faststart',
  'av-moov-end',
  'd1/d2/d3/d4/edge',
  'films/audio-only',
  'films/duo',
  'films/video-only',
  'formats/fragmented',
  'formats/quicktime',
  ...(hasX265 ? ['hevc'] : []),
];
const BAD_FILES: Record<string, RegExp> = {
  'bad/truncated-moov-end.mp4': /^the file is truncated \(moov box missing\)$/,
  'bad/truncated-faststart.mp4': /^the file is truncated \(its samples end at byte \d+, the file has \d+\)$/,
  'bad/text.mp4': /^not an MP4 file/,
  'bad/subtitles.mp4': /^no supported track \(found subtitles tx3g\)/,
  'bad/mpeg4.mp4': /^video codec mp4v.* is not H\.264 or H\.265/,
  'films/foreign.mp4': /the folder foreign\/ beside it was not made by p2p-seed/,
  // A bad rendition beside good ones: the title is packaged without it.
  'films/duo.240p.mp4': /^not an MP4 file/,
};

beforeAll(async () => {
  fixtures = await makeFixtures();
  root = await makeTempDir();
  const f = fixtures.files;
  const place: [string, string][] = [
    [f.avMoovEnd, 'av-moov-end.mp4'],
    [f.avFaststart, 'av-faststart.mp4'],
    [f.videoOnly, 'films/video-only.mp4'],
    [f.audioOnly, 'films/audio-only.mp4'],
    [f.duo360, 'films/duo.mp4'],
    [f.duo180, 'films/duo.180p.mp4'],
    [f.text, 'films/duo.240p.mp4'],
    [f.quickTime, 'formats/quicktime.mov'],
    [f.fragmented, 'formats/fragmented.mp4'],
    [f.audioOnly, 'films/foreign.mp4'],
    [f.videoOnly, 'd1/d2/d3/d4/edge.mp4'],
    [f.videoOnly, 'd1/d2/d3/d4/d5/too-deep.mp4'],
    [f.videoOnly, '.hidden/hidden.mp4'],
    [f.videoOnly, 'node_modules/module.mp4'],
    [f.truncatedMoovEnd, 'bad/truncated-moov-end.mp4'],
    [f.truncatedFaststart, 'bad/truncated-faststart.mp4'],
    [f.text, 'bad/text.mp4'],
    [f.subtitles, 'bad/subtitles.mp4'],
    [f.mpeg4, 'bad/mpeg4.mp4'],
    ...(f.hevc ? ([[f.hevc, 'hevc.mp4']] as [string, string][]) : []),
  ];
  for (const [from, to] of place) {
    await mkdir(path.dirname(path.join(root, to)), { recursive: true });
    await copyFile(from, path.join(root, to));
  }
  // Someone's folder beside films/foreign.mp4, and what a crashed run leaves behind.
  // films/external.mp4 is already packaged, by another tool: left alone.
  await copyFile(f.audioOnly, path.join(root, 'films/external.mp4'));
  await mkdir(path.join(root, 'films/external'));
  await writeFile(path.join(root, 'films/external/master.m3u8'), '#EXTM3U\n');
  await mkdir(path.join(root, 'films/foreign'));
  await writeFile(path.join(root, 'films/foreign/notes.txt'), 'mine');
  await mkdir(path.join(root, '.av-faststart.tmp-0123abcd/180p'), { recursive: true });
  await writeFile(path.join(root, '.av-faststart.tmp-0123abcd/180p/seg-00000.m4s'), 'half');
  await mkdir(path.join(root, 'films/.duo.old-89abcdef'));

  first = await packageCollection(root, { progress: 'none', logger: (line) => firstLines.push(line) });
}, 60_000);

afterAll(async () => {
  if (root) await removeDir(root);
  await removeFixtures();
});

describe('packageCollection: a fresh collection', () => {
  it('packages every good title and reports each bad file with its reason', async () => {
    expect(first.packaged.map((entry) => entry.title)).toEqual(GOOD_TITLES);
    expect(first.upToDate).toEqual(['films/external']);
    expect(Object.fromEntries(first.skipped.map((entry) => [entry.file, entry.reason]))).toEqual(
      Object.fromEntries(Object.entries(BAD_FILES).map(([file, reason]) => [file, expect.stringMatching(reason)])),
    );
    for (const entry of first.packaged) {
      expect(entry.segments).toBeGreaterThan(0);
      expect(entry.bytes).toBeGreaterThan(0);
      expect(entry.ms).toBeGreaterThanOrEqual(0);
    }
    expect(first.packaged.find((entry) => entry.title === 'films/duo')?.renditions).toEqual(['360p', '180p', 'audio']);

    expect(firstLines).toContain('p2p-seed: packaging films/duo (2 renditions)…');
    expect(firstLines).toContain('p2p-seed: skipped bad/truncated-moov-end.mp4: the file is truncated (moov box missing)');
    expect(firstLines.some((line) => /^p2p-seed: packaged films\/duo: \d+ segments, \d+\.\d MB in \d+\.\d s$/.test(line))).toBe(true);
    expect(firstLines).toContain('p2p-seed: removed .av-faststart.tmp-0123abcd, left unfinished by an earlier run');
  });

  it('leaves no output for bad files, no work folder, and nothing in skipped folders', async () => {
    expect((await readdir(path.join(root, 'bad'))).sort()).toEqual(Object.keys(BAD_FILES).filter((file) => file.startsWith('bad/')).map((file) => file.slice(4)).sort());
    expect(await readdir(path.join(root, 'films/foreign'))).toEqual(['notes.txt']);
    expect(await readdir(path.join(root, 'films/external'))).toEqual(['master.m3u8']);
    expect(await readdir(path.join(root, '.hidden'))).toEqual(['hidden.mp4']);
    expect(await readdir(path.join(root, 'node_modules'))).toEqual(['module.mp4']);
    expect(await readdir(path.join(root, 'd1/d2/d3/d4/d5'))).toEqual(['too-deep.mp4']);
    expect((await listTree(root)).filter((file) => /\.(tmp|old)-[0-9a-f]+(\/|$)/.test(file))).toEqual([]);
  });

  it('lays out a title with video and audio as the design says', async () => {
    const dir = path.join(root, 'av-moov-end');
    const source = await readMp4File(fixtures.files.avMoovEnd);
    const [video, audio] = [trackOf(source.tracks, 'video'), trackOf(source.tracks, 'audio')];
    expect((await readdir(dir)).sort()).toEqual(['.p2p-package.json', '180p', 'audio', 'hashes.json', 'master.m3u8', 'poster.mp4', 'swarm.json']);
    expect(JSON.parse(await readFile(path.join(dir, 'swarm.json'), 'utf8'))).toEqual({
      version: 1,
      swarmId: expect.stringMatching(/^[0-9a-f]{12}\//),
      trackers: ['/announce'],
      iceServers: [],
      hashes: 'hashes.json',
      beacon: '/beacon',
    });

    const text = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    expect(text.split('\n').slice(0, 4)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"',
    ]);
    expect(text).toMatch(/^#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*CHANNELS="2",URI="audio\/index\.m3u8"$/m);
    const master = parsePlaylist(text);
    expect(master.mediaGroups?.AUDIO?.audio).toBeDefined();
    expect(Object.values(master.mediaGroups?.AUDIO?.audio ?? {})[0]?.uri).toBe('audio/index.m3u8');
    expect(master.playlists).toHaveLength(1);
    const variant = master.playlists?.[0];
    expect(variant?.uri).toBe('180p/index.m3u8');
    expect(variant?.attributes).toMatchObject({ CODECS: `${video.codec},${audio.codec}`, RESOLUTION: { width: 320, height: 180 }, 'FRAME-RATE': 25, AUDIO: 'audio' });
    expect(video.codec).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(audio.codec).toBe('mp4a.40.2');

    // BANDWIDTH and AVERAGE-BANDWIDTH from the real segment sizes of the video and its audio.
    const rates = async (rendition: string): Promise<{ peak: number; average: number }> => {
      const media = parsePlaylist(await readFile(path.join(dir, rendition, 'index.m3u8'), 'utf8'));
      let bits = 0;
      let seconds = 0;
      let peak = 0;
      for (const segment of media.segments) {
        const size = (await stat(path.join(dir, rendition, segment.uri))).size;
        bits += size * 8;
        seconds += segment.duration;
        peak = Math.max(peak, (size * 8) / segment.duration);
      }
      return { peak, average: bits / seconds };
    };
    const [videoRates, audioRates] = [await rates('180p'), await rates('audio')];
    expect(variant?.attributes.BANDWIDTH).toBeCloseTo(videoRates.peak + audioRates.peak, -1);
    expect(Number(variant?.attributes['AVERAGE-BANDWIDTH'])).toBeCloseTo(videoRates.average + audioRates.average, -1);
  });

  it('cuts video at the first key frame at or after 4 s, audio at the same times, and keeps every sample once', async () => {
    const dir = path.join(root, 'av-moov-end');
    const source = await readMp4File(fixtures.files.avMoovEnd);
    const video = await checkRendition(path.join(dir, '180p'), trackOf(source.tracks, 'video'));
    const audio = await checkRendition(path.join(dir, 'audio'), trackOf(source.tracks, 'audio'));
    // Key frames every 1.2 s: cuts at 4.8 and 9.6.
    expect(video.starts).toEqual([0, 4.8, 9.6]);
    expect(audio.starts).toHaveLength(3);
    audio.starts.forEach((start, index) => expect(Math.abs(start - video.starts[index])).toBeLessThanOrEqual(1024 / 48000));
  });

  it('makes the same media segments from a faststart file as from one with moov at the end', async () => {
    const segmentsOf = async (title: string): Promise<Record<string, string>> => {
      const manifest = JSON.parse(await readFile(path.join(root, title, 'hashes.json'), 'utf8')) as { segments: Record<string, string> };
      return Object.fromEntries(Object.entries(manifest.segments).filter(([url]) => url.endsWith('.m4s')));
    };
    const fromFaststart = await segmentsOf('av-faststart');
    expect(Object.keys(fromFaststart)).toHaveLength(6);
    expect(fromFaststart).toEqual(await segmentsOf('av-moov-end'));
    const source = await readMp4File(fixtures.files.avFaststart);
    await checkRendition(path.join(root, 'av-faststart/180p'), trackOf(source.tracks, 'video'));
    await checkRendition(path.join(root, 'av-faststart/audio'), trackOf(source.tracks, 'audio'));
  });

  it('packages QuickTime and fragmented MP4 sources like any other', async () => {
    for (const [title, file] of [['formats/quicktime', fixtures.files.quickTime], ['formats/fragmented', fixtures.files.fragmented]]) {
      const source = await readMp4File(file);
      const video = await checkRendition(path.join(root, title, '180p'), trackOf(source.tracks, 'video'));
      expect(video.starts).toEqual([0, 4.8, 9.6]);
      await checkRendition(path.join(root, title, 'audio'), trackOf(source.tracks, 'audio'));
    }
  });

  it('packages two renditions of one title, with the audio of the highest', async () => {
    const dir = path.join(root, 'films/duo');
    const text = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    const master = parsePlaylist(text);
    const variants = master.playlists ?? [];
    expect(variants.map((variant) => [variant.uri, variant.attributes.RESOLUTION, variant.attributes.AUDIO])).toEqual([
      ['180p/index.m3u8', { width: 320, height: 180 }, 'audio'],
      ['360p/index.m3u8', { width: 640, height: 360 }, 'audio'],
    ]);
    expect(text.match(/#EXT-X-MEDIA:/g)).toHaveLength(1);
    expect(text).toContain('CHANNELS="2"');
    const top = await readMp4File(fixtures.files.duo360);
    const low = await readMp4File(fixtures.files.duo180);
    await checkRendition(path.join(dir, '360p'), trackOf(top.tracks, 'video'));
    await checkRendition(path.join(dir, '180p'), trackOf(low.tracks, 'video'));
    // duo.mp4 has 48 kHz stereo, duo.180p.mp4 44.1 kHz mono: the audio rendition is the first one's.
    await checkRendition(path.join(dir, 'audio'), trackOf(top.tracks, 'audio'));
  });

  it('packages a video-only file without an audio group', async () => {
    const dir = path.join(root, 'films/video-only');
    const source = await readMp4File(fixtures.files.videoOnly);
    const text = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    expect(text).not.toContain('#EXT-X-MEDIA');
    expect(text).not.toContain('AUDIO=');
    const master = parsePlaylist(text);
    expect(master.playlists?.map((variant) => [variant.uri, variant.attributes.CODECS])).toEqual([['180p/index.m3u8', trackOf(source.tracks, 'video').codec]]);
    expect((await readdir(dir)).sort()).toEqual(['.p2p-package.json', '180p', 'hashes.json', 'master.m3u8', 'poster.mp4', 'swarm.json']);
    const video = await checkRendition(path.join(dir, '180p'), trackOf(source.tracks, 'video'));
    expect(video.starts).toEqual([0, 4]);
  });

  it('packages an audio-only file as one audio-only variant cut every ~4 s', async () => {
    const dir = path.join(root, 'films/audio-only');
    const source = await readMp4File(fixtures.files.audioOnly);
    const text = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
    expect(text).not.toContain('#EXT-X-MEDIA');
    const master = parsePlaylist(text);
    expect(master.playlists).toHaveLength(1);
    expect(master.playlists?.[0].uri).toBe('audio/index.m3u8');
    expect(master.playlists?.[0].attributes.CODECS).toBe('mp4a.40.2');
    expect(master.playlists?.[0].attributes.RESOLUTION).toBeUndefined();
    expect(await readdir(dir)).not.toContain('poster.mp4');
    const audio = await checkRendition(path.join(dir, 'audio'), trackOf(source.tracks, 'audio'));
    expect(audio.starts).toHaveLength(2);
    expect(audio.starts[1]).toBeGreaterThanOrEqual(4);
    expect(audio.starts[1]).toBeLessThan(4 + 1024 / 44100 + 1e-9);
  });

  it.skipIf(!hasX265)('packages H.265 (hvc1) as it is in the source', async () => {
    const source = await readMp4File(fixtures.files.hevc ?? '');
    const video = trackOf(source.tracks, 'video');
    expect(video.codec).toMatch(/^hvc1\./);
    const master = parsePlaylist(await readFile(path.join(root, 'hevc/master.m3u8'), 'utf8'));
    expect(master.playlists?.[0].attributes.CODECS).toBe(`${video.codec},mp4a.40.2`);
    const checked = await checkRendition(path.join(root, 'hevc/180p'), video);
    expect(checked.starts).toEqual([0]);
    await checkRendition(path.join(root, 'hevc/audio'), trackOf(source.tracks, 'audio'));
  });

  it('writes hashes.json covering every init and media segment, matching the files', async () => {
    for (const title of GOOD_TITLES) {
      const dir = path.join(root, title);
      const manifest = JSON.parse(await readFile(path.join(dir, 'hashes.json'), 'utf8')) as { version: number; algorithm: string; segments: Record<string, string> };
      expect(manifest.version).toBe(1);
      expect(manifest.algorithm).toBe('sha-256');
      const media = (await listTree(dir)).filter((file) => /\/(init\.mp4|seg-\d{5}\.m4s)$/.test(file)).sort();
      expect(Object.keys(manifest.segments).sort()).toEqual(media);
      for (const file of media) {
        expect(manifest.segments[file], `${title}/${file}`).toBe(createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex'));
      }
    }
  });

  it('writes poster.mp4 into every title with video: its 360p (else top) init and first key frame, unhashed', async () => {
    const posters: [string, string, string][] = [
      ['av-moov-end', '180p', fixtures.files.avMoovEnd],
      ['films/duo', '360p', fixtures.files.duo360],
      ['films/video-only', '180p', fixtures.files.videoOnly],
      ['formats/fragmented', '180p', fixtures.files.fragmented],
      ...(fixtures.files.hevc ? ([['hevc', '180p', fixtures.files.hevc]] as [string, string, string][]) : []),
    ];
    for (const [title, rendition, file] of posters) {
      const dir = path.join(root, title);
      const poster = await readFile(path.join(dir, 'poster.mp4'));
      const init = await readFile(path.join(dir, rendition, 'init.mp4'));
      expect(poster.subarray(0, init.length).equals(init), `${title} poster init`).toBe(true);
      const [track] = (await readMp4(poster)).tracks;
      expect(track.samples, title).toHaveLength(1);
      expect(track.samples[0].is_sync, title).toBe(true);
      const key = trackOf((await readMp4File(file)).tracks, 'video').samples[0];
      const keyBytes = (await readFile(file)).subarray(key.offset, key.offset + key.size);
      expect(poster.subarray(track.samples[0].offset, track.samples[0].offset + track.samples[0].size).equals(keyBytes), `${title} key frame`).toBe(true);
      const manifest = await readFile(path.join(dir, 'hashes.json'), 'utf8');
      expect(manifest).not.toContain('poster');
    }
    const withPoster = GOOD_TITLES.filter((title) => title !== 'films/audio-only');
    for (const title of GOOD_TITLES) expect(await stat(path.join(root, title, 'poster.mp4')).then(() => true, () => false), title).toBe(withPoster.includes(title));
  });

  it('makes renditions ffprobe reads with the source duration and packet count', async () => {
    const checks: [string, string, 'video' | 'audio'][] = [
      ['av-moov-end/180p', fixtures.files.avMoovEnd, 'video'],
      ['av-moov-end/audio', fixtures.files.avMoovEnd, 'audio'],
      ['films/duo/360p', fixtures.files.duo360, 'video'],
    ];
    const scratch = await makeTempDir();
    for (const [rendition, file, kind] of checks) {
      const source = trackOf((await readMp4File(file)).tracks, kind);
      const dir = path.join(root, rendition);
      const media = parsePlaylist(await readFile(path.join(dir, 'index.m3u8'), 'utf8'));
      const joined = path.join(scratch, `joined-${kind}.mp4`);
      const parts = [await readFile(path.join(dir, 'init.mp4')), ...(await Promise.all(media.segments.map((segment) => readFile(path.join(dir, segment.uri)))))];
      await writeFile(joined, Buffer.concat(parts));
      const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets:format=duration', '-of', 'json', joined]);
      const probe = JSON.parse(stdout) as { streams: { nb_read_packets: string }[]; format: { duration: string } };
      expect(Number(probe.streams[0].nb_read_packets), rendition).toBe(source.samples.length);
      const frame = Math.max(...source.samples.map((sample) => sample.duration)) / source.timescale;
      const sourceSeconds = source.samples.reduce((sum, sample) => sum + sample.duration, 0) / source.timescale;
      expect(Math.abs(Number(probe.format.duration) - sourceSeconds), rendition).toBeLessThanOrEqual(frame);
    }
    await removeDir(scratch);
  });
});

describe('packageCollection: running again', () => {
  it('packages nothing when nothing changed, says so, and touches no file', async () => {
    const before = await snapshot(root);
    const lines: string[] = [];
    const report = await packageCollection(root, { progress: 'none', logger: (line) => lines.push(line) });
    expect(report.packaged).toEqual([]);
    expect(report.upToDate).toEqual([...GOOD_TITLES, 'films/external'].sort());
    expect(report.skipped.map((entry) => entry.file).sort()).toEqual(Object.keys(BAD_FILES).sort());
    expect(lines.at(-1)).toBe(`p2p-seed: nothing to package (${GOOD_TITLES.length + 1} titles up to date, ${Object.keys(BAD_FILES).length} files skipped)`);
    expect(await snapshot(root)).toEqual(before);
  });

  it('repackages only the title whose source changed, replacing the old folder', async () => {
    const source = path.join(root, 'films/video-only.mp4');
    // The films folder itself changes: the new title was renamed into it.
    const untouched = (file: string): boolean => file !== 'films' && !file.startsWith('films/video-only');
    const others = Object.fromEntries(Object.entries(await snapshot(root)).filter(([file]) => untouched(file)));
    // A top-level free box after the moov: a bigger, still valid file with a new mtime.
    await appendFile(source, Buffer.from([0, 0, 0, 16, 0x66, 0x72, 0x65, 0x65, 1, 2, 3, 4, 5, 6, 7, 8]));
    const later = new Date(Date.now() + 60_000);
    await utimes(source, later, later);
    const report = await packageCollection(root, { progress: 'none' });
    expect(report.packaged.map((entry) => entry.title)).toEqual(['films/video-only']);
    expect(report.upToDate).toEqual([...GOOD_TITLES, 'films/external'].filter((title) => title !== 'films/video-only').sort());
    const state = JSON.parse(await readFile(path.join(root, 'films/video-only/.p2p-package.json'), 'utf8')) as { sources: { size: number }[] };
    expect(state.sources[0].size).toBe((await stat(source)).size);
    const after = Object.fromEntries(Object.entries(await snapshot(root)).filter(([file]) => untouched(file)));
    expect(after).toEqual(others);
    expect((await readdir(path.join(root, 'films'))).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('packageCollection: abort and progress display', () => {
  it('an abort midway leaves neither a title folder nor a work folder', async () => {
    const dir = await makeTempDir();
    try {
      await copyFile(fixtures.files.avFaststart, path.join(dir, 'film.mp4'));
      const controller = new AbortController();
      const logger = (line: string): void => {
        if (line.startsWith('p2p-seed: packaging')) controller.abort(new Error('stop now'));
      };
      await expect(packageCollection(dir, { progress: 'none', logger, signal: controller.signal })).rejects.toThrow('stop now');
      expect(await readdir(dir)).toEqual(['film.mp4']);
    } finally {
      await removeDir(dir);
    }
  });

  it("shows plain lines on stdout in 'lines' mode and draws bars in 'bars' mode", async () => {
    const dir = await makeTempDir();
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await copyFile(fixtures.files.audioOnly, path.join(dir, 'song.mp4'));
      await packageCollection(dir, { progress: 'lines' });
      expect(written.join('')).toContain('p2p-seed: packaging song (1 rendition)…\n');
      await removeDir(path.join(dir, 'song'));
      written.length = 0;
      const lines: string[] = [];
      await packageCollection(dir, { progress: 'bars', logger: (line) => lines.push(line) });
      expect(lines[0]).toBe('p2p-seed: packaging song (1 rendition)…');
      expect(written.join('')).toContain('song');
    } finally {
      spy.mockRestore();
      await removeDir(dir);
    }
  });
});

function trackOf(tracks: readonly TrackFacts[], type: 'video' | 'audio'): TrackFacts {
  const track = tracks.find((candidate) => candidate.type === type);
  if (!track) throw new Error(`no ${type} track`);
  return track;
}

/**
 * Checks one rendition folder against its source track: the media playlist, and each segment parsed with
 * mp4box (init + segment): one track, decode times continuing from segment to segment, video segments opening
 * on a key frame, and all segments together holding the source's samples in order, each once.
 * Returns the segment start times in seconds.
 */
async function checkRendition(dir: string, source: TrackFacts): Promise<{ starts: number[] }> {
  const text = await readFile(path.join(dir, 'index.m3u8'), 'utf8');
  expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
  expect(text).toContain('#EXT-X-MAP:URI="init.mp4"');
  expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
  for (const line of text.split('\n').filter((entry) => entry.startsWith('#EXTINF:'))) expect(line).toMatch(/^#EXTINF:\d+\.\d{6},$/);
  const media = parsePlaylist(text);
  expect(media.playlistType).toBe('VOD');
  expect(media.endList).toBe(true);
  expect(media.targetDuration).toBe(Math.ceil(Math.max(...media.segments.map((segment) => segment.duration))));
  expect(media.segments.map((segment) => segment.map?.uri)).toEqual(media.segments.map(() => 'init.mp4'));

  const init = await readFile(path.join(dir, 'init.mp4'));
  const sizes: number[] = [];
  const starts: number[] = [];
  let nextDts = 0;
  let timescale = 0;
  for (const segment of media.segments) {
    const parsed = await readMp4(init, await readFile(path.join(dir, segment.uri)));
    expect(parsed.tracks).toHaveLength(1);
    const [track] = parsed.tracks;
    expect(track.codec).toBe(source.codec);
    timescale = track.timescale;
    const samples = track.samples;
    expect(samples.length, segment.uri).toBeGreaterThan(0);
    expect(samples[0].dts, `${segment.uri} decode time`).toBe(nextDts);
    if (source.type === 'video') expect(samples[0].is_sync, `${segment.uri} starts on a key frame`).toBe(true);
    starts.push(Number((samples[0].dts / timescale).toFixed(6)));
    const ticks = samples.reduce((sum, sample) => sum + sample.duration, 0);
    expect(segment.duration).toBeCloseTo(ticks / timescale, 5);
    nextDts += ticks;
    sizes.push(...samples.map((sample) => sample.size));
  }
  expect(timescale).toBe(source.timescale);
  // Every source sample in exactly one segment, in order.
  expect(sizes).toEqual(source.samples.map((sample) => sample.size));
  const frame = Math.max(...source.samples.map((sample) => sample.duration));
  const total = media.segments.reduce((sum, segment) => sum + segment.duration, 0);
  // A fragmented source has an empty moov (mdhd duration 0): its duration is that of its samples.
  const duration = source.duration || source.samples.reduce((sum, sample) => sum + sample.duration, 0);
  expect(Math.abs(total - duration / source.timescale)).toBeLessThanOrEqual(frame / source.timescale);
  return { starts };
}

/** Every path under `dir` relative to it, with `/`, folders included. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join('/'));
}

/** Size and mtime of every file and folder under `dir`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const file of (await listTree(dir)).sort()) {
    const info = await stat(path.join(dir, file));
    result[file] = `${info.size}@${info.mtimeMs}`;
  }
  return result;
}
