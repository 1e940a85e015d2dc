import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapBounded } from './bounded-map.ts';
import { hashManifest, sha256Hex } from './hash-manifest.ts';
import { InputError, openMp4 } from './mp4-source.ts';
import type { Mp4Source, SourceTrack } from './mp4-source.ts';
import { PACKAGER_VERSION, STATE_FILE, stateText } from './package-state.ts';
import { bitrates, mediaPlaylist, multivariantPlaylist } from './playlists.ts';
import { buildPoster, POSTER_FILE, posterRendition } from './poster.ts';
import type { PlaylistSegment, Variant } from './playlists.ts';
import type { TitleProgress } from './progress.ts';
import { planRenditions } from './rendition-plan.ts';
import type { RenditionPlan, SkippedFile } from './rendition-plan.ts';
import { boundariesOf, planAlignedSegments, planEvenSegments, planVideoSegments } from './segment-plan.ts';
import type { SampleTiming, SegmentRange } from './segment-plan.ts';
import type { TitleSources } from './source-scan.ts';
import { defaultSwarmMetadata } from '../swarm-metadata.ts';
import { removeFolder, swapIntoPlace, workFolderFor } from './title-folder.ts';
import { writeParts } from './write-parts.ts';

export const SWARM_DATA_ID = 'org.p2p-video.swarm';
const AUDIO_GROUP = 'audio';
/**
 * Segment numbers of a file being read, hashed and written at once (segment N of each of its tracks): reads and
 * writes in the thread pool overlap the hashing and moof building on the main thread, and memory stays at a few
 * segments whatever the file's size.
 */
const SEGMENTS_IN_FLIGHT = 3;

export type { SkippedFile } from './rendition-plan.ts';

export interface TitleJob extends TitleSources {
  targetSegmentSeconds: number;
  /** Path relative to the collection root, for messages. */
  relative(file: string): string;
  /** Called once the sources are read, before any output is written. */
  onStart(renditionCount: number, totalBytes: number): TitleProgress;
  signal?: AbortSignal;
}

export type TitleOutcome =
  | { kind: 'packaged'; renditions: string[]; segments: number; bytes: number; skipped: SkippedFile[]; notes: string[] }
  | { kind: 'skipped'; skipped: SkippedFile[]; notes: string[] };

interface TrackOutput {
  name: string;
  segments: PlaylistSegment[];
}

/** A track to package: its rendition folder, where it comes from and where it is cut. */
interface TrackPlan {
  name: string;
  source: Mp4Source;
  track: SourceTrack;
  ranges: SegmentRange[];
}

/**
 * Packages one title into a work folder beside it and swaps that into place when complete. Files that cannot
 * be used are reported, never thrown; when none can, nothing is written.
 */
export async function packageTitle(job: TitleJob): Promise<TitleOutcome> {
  const skipped: SkippedFile[] = [];
  const notes: string[] = [];
  const sources: Mp4Source[] = [];
  try {
    for (const file of job.files) {
      try {
        const source = await openMp4(file.path);
        sources.push(source);
        for (const note of source.notes) notes.push(`${job.relative(file.path)}: ${note}`);
      } catch (error) {
        // mp4box may also throw on a damaged box: any file that does not open is skipped, with its reason.
        const reason = error instanceof InputError ? error.message : `cannot read it (${(error as Error).message})`;
        skipped.push({ file: job.relative(file.path), reason });
      }
    }
    if (sources.length === 0) return { kind: 'skipped', skipped, notes };
    const plan = planRenditions(sources, job.relative);
    skipped.push(...plan.unused);
    const written = await writeTitle(job, plan, skipped);
    return { kind: 'packaged', ...written, skipped, notes };
  } finally {
    await Promise.all(sources.map((source) => source.close().catch(() => {})));
  }
}

async function writeTitle(job: TitleJob, plan: RenditionPlan, skipped: readonly SkippedFile[]): Promise<{ renditions: string[]; segments: number; bytes: number }> {
  const totalBytes = plan.videos.reduce((sum, video) => sum + video.track.bytes, 0) + (plan.audio?.track.bytes ?? 0);
  const progress = job.onStart(Math.max(1, plan.videos.length), totalBytes);
  const work = workFolderFor(job.folder);
  const digests = new Map<string, string>();
  let bytes = 0;
  // Hashing takes the main thread while the thread pool reads and writes the neighbouring segments.
  const write = async (relativePath: string, content: string | Uint8Array | readonly Uint8Array[], hashed: boolean): Promise<void> => {
    const parts = typeof content === 'string' ? [Buffer.from(content)] : content instanceof Uint8Array ? [content] : content;
    const digest = hashed ? sha256Hex(parts) : undefined;
    // Not `bytes += await …`: that would add to the total as it was before other writes ended meanwhile.
    const size = await writeParts(path.join(work, ...relativePath.split('/')), parts);
    bytes += size;
    if (digest !== undefined) digests.set(relativePath, digest);
  };

  // The tracks of one file go through together: their segments N cover the same stretch of time, so they lie
  // side by side in an interleaved file and are read in one pass over it instead of one pass per track.
  const writeTracks = async (tracks: readonly TrackPlan[]): Promise<TrackOutput[]> => {
    for (const { name, track } of tracks) {
      await mkdir(path.join(work, name));
      await write(`${name}/init.mp4`, track.init, true);
    }
    const source = tracks[0].source;
    const count = Math.max(...tracks.map((track) => track.ranges.length));
    const written = await mapBounded(count, SEGMENTS_IN_FLIGHT, async (index): Promise<(PlaylistSegment | undefined)[]> => {
      job.signal?.throwIfAborted();
      const present = tracks.filter((track) => index < track.ranges.length);
      const requests = present.map(({ track, ranges }) => ({ samples: track.samples.slice(ranges[index].start, ranges[index].end), sequence: index + 1 }));
      const read = await source.readSegments(requests);
      const uri = `seg-${String(index).padStart(5, '0')}.m4s`;
      const sizes = read.segments.map((parts) => parts.reduce((sum, part) => sum + part.byteLength, 0));
      try {
        // Bounded by the count itself: all written at once, and a failure reported only once none is still writing.
        await mapBounded(present.length, present.length, (position) => write(`${present[position].name}/${uri}`, read.segments[position], true));
      } finally {
        read.release();
      }
      progress.advance(requests.reduce((sum, { samples }) => sum + samples.reduce((bytes, sample) => bytes + sample.size, 0), 0));
      return tracks.map((track) => {
        const position = present.indexOf(track);
        return position < 0 ? undefined : { uri, seconds: track.ranges[index].ticks / track.track.timescale, bytes: sizes[position] };
      });
    });
    const outputs: TrackOutput[] = [];
    for (const [position, { name }] of tracks.entries()) {
      const segments = written.flatMap((row) => row[position] ?? []);
      await write(`${name}/index.m3u8`, mediaPlaylist(segments), false);
      outputs.push({ name, segments });
    }
    return outputs;
  };

  await mkdir(work);
  try {
    const videoPlans: TrackPlan[] = plan.videos.map(({ name, source, track }) => ({
      name,
      source,
      track,
      ranges: planVideoSegments(timings(track), track.timescale, job.targetSegmentSeconds),
    }));
    let audioPlan: TrackPlan | undefined;
    if (plan.audio) {
      const { source, track } = plan.audio;
      // Cut where the video of the same file is cut, so audio and video segment N cover the same time.
      const partner = videoPlans.find((video) => video.source === source) ?? videoPlans[0];
      const ranges = partner
        ? planAlignedSegments(timings(track), track.timescale, boundariesOf(partner.ranges, partner.track.timescale))
        : planEvenSegments(timings(track), track.timescale, job.targetSegmentSeconds);
      audioPlan = { name: AUDIO_GROUP, source, track, ranges };
    }
    const all = audioPlan ? [...videoPlans, audioPlan] : videoPlans;
    const outputs: TrackOutput[] = [];
    for (const source of new Set(all.map((track) => track.source))) {
      const tracks = all.filter((track) => track.source === source);
      const written = await writeTracks(tracks);
      tracks.forEach((track, position) => (outputs[all.indexOf(track)] = written[position]));
    }
    const videoOutputs = videoPlans.map((video, index) => ({ output: outputs[index], track: video.track }));
    const audioOutput = audioPlan ? outputs[videoPlans.length] : undefined;
    // The first key frame, outside the hash manifest: it is no media segment and no peer ever carries it.
    const posterFrom = posterRendition(plan.videos);
    const poster = posterFrom && (await buildPoster(posterFrom.source, posterFrom.track));
    if (poster) await write(POSTER_FILE, poster, false);

    const audioRates = audioOutput ? bitrates(audioOutput.segments) : { peak: 0, average: 0 };
    const variants: Variant[] = videoOutputs.map(({ output, track }) => {
      const rates = bitrates(output.segments);
      return {
        uri: `${output.name}/index.m3u8`,
        bandwidth: rates.peak + audioRates.peak,
        averageBandwidth: rates.average + audioRates.average,
        codecs: plan.audio ? [track.codec, plan.audio.track.codec] : [track.codec],
        resolution: { width: track.width, height: track.height },
        frameRate: track.frameRate,
        audio: audioOutput ? AUDIO_GROUP : undefined,
      };
    });
    variants.sort((a, b) => a.bandwidth - b.bandwidth);
    const audioTrack = plan.audio?.track;
    const audioOnly = variants.length === 0 && audioOutput && audioTrack;
    if (audioOnly) {
      variants.push({ uri: `${AUDIO_GROUP}/index.m3u8`, bandwidth: audioRates.peak, averageBandwidth: audioRates.average, codecs: [audioTrack.codec] });
    }
    const master = multivariantPlaylist({
      variants,
      audio:
        audioOutput && audioTrack && !audioOnly
          ? {
              groupId: AUDIO_GROUP,
              name: audioTrack.language === 'und' ? 'default' : audioTrack.language,
              language: audioTrack.language === 'und' ? undefined : audioTrack.language,
              channels: audioTrack.channels || undefined,
              uri: `${AUDIO_GROUP}/index.m3u8`,
            }
          : undefined,
      swarmUri: 'swarm.json',
      swarmDataId: SWARM_DATA_ID,
    });
    await write('master.m3u8', master, false);
    // A new swarm id per packaging: changed content meets no viewer holding the old segments.
    const swarm = { ...defaultSwarmMetadata(job.id), hashes: 'hashes.json' };
    await write('swarm.json', `${JSON.stringify(swarm, null, 2)}\n`, false);
    await write('hashes.json', hashManifest(digests), false);

    const renditions = [...videoOutputs.map((video) => video.output.name), ...(audioOutput ? [audioOutput.name] : [])];
    const segments = [...videoOutputs.map((video) => video.output), ...(audioOutput ? [audioOutput] : [])].reduce((sum, output) => sum + output.segments.length, 0);
    job.signal?.throwIfAborted();
    // The state file goes in last: a folder holding it is complete.
    const state = stateText({
      packager: PACKAGER_VERSION,
      targetSegmentSeconds: job.targetSegmentSeconds,
      sources: job.files.map((file) => ({ name: file.name, size: file.size, mtimeMs: file.mtimeMs })),
      skipped: [...skipped],
      renditions,
      segments,
      bytes,
    });
    await writeFile(path.join(work, STATE_FILE), state);
    await swapIntoPlace(work, job.folder);
    progress.finish();
    return { renditions, segments, bytes };
  } catch (error) {
    await removeFolder(work);
    throw error;
  }
}

function timings(track: SourceTrack): SampleTiming[] {
  return track.samples.map((sample) => ({ dts: sample.dts, duration: sample.duration, isSync: sample.is_sync }));
}
