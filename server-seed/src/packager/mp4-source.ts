import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createFile, Log, MP4BoxBuffer } from 'mp4box';
import type { ISOFile, Movie, Sample, Track } from 'mp4box';
import { buildInitSegments } from './fmp4-segmenter.ts';
import { InputError } from './input-error.ts';
import { segmentReader } from './segment-reader.ts';
import type { SegmentRequest, SegmentsRead } from './segment-reader.ts';

export { InputError } from './input-error.ts';

export interface SourceTrack {
  id: number;
  kind: 'video' | 'audio';
  /** RFC 6381 codec string as mp4box reports it: avc1.64001f, hvc1.1.6.L93.B0, mp4a.40.2. */
  codec: string;
  timescale: number;
  samples: Sample[];
  /** Sum of the sample durations, in `timescale` ticks. */
  ticks: number;
  /** Sum of the sample sizes. */
  bytes: number;
  width: number;
  height: number;
  frameRate: number;
  channels: number;
  language: string;
  /** The fMP4 initialisation segment (ftyp + moov with mvex) for this track alone. */
  init: Uint8Array;
}

/** One parsed source file: its usable tracks, and sample data read from disk on demand. */
export interface Mp4Source {
  file: string;
  size: number;
  iso: ISOFile;
  video?: SourceTrack;
  audio?: SourceTrack;
  /** Things worth telling a person that do not stop packaging (an audio track in a codec we do not carry, …). */
  notes: string[];
  /** Media segments of its tracks, their samples read together (see segmentReader). */
  readSegments(requests: readonly SegmentRequest[]): Promise<SegmentsRead>;
  close(): Promise<void>;
}

/** Read size for the metadata pass; sample data is read later, one segment at a time. */
const CHUNK_BYTES = 1 << 20;
const TOP_LEVEL_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'sidx', 'pdin', 'meta', 'moof']);
const VIDEO_CODEC = /^(avc1|avc3|hvc1|hev1)\./;
const AUDIO_CODEC = /^mp4a\.40\.\d+$/;

/**
 * Opens an MP4/MOV and parses its metadata with mp4box in 1 MiB chunks, following the positions mp4box asks for:
 * a `moov` at the end is reached by skipping over `mdat` without reading it. Throws InputError for a file
 * that cannot be packaged.
 */
export async function openMp4(file: string): Promise<Mp4Source> {
  quietMp4boxLog();
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    await checkHeader(handle, size);
    const iso = createFile();
    const movie = await readMovie(handle, size, iso);
    const { video, audio, notes } = selectTracks(movie, (track) => handlerOf(iso, track));
    const tracks = [video, audio].filter((track) => track !== undefined);
    const sampled = tracks.map((track) => ({ track, samples: samplesOf(iso, track, size) }));
    const inits = buildInitSegments(iso, tracks.map((track) => track.id));
    const made = sampled.map(({ track, samples }) => toSourceTrack(track, samples, inits.get(track.id) ?? new Uint8Array()));
    return {
      file,
      size,
      iso,
      video: made.find((track) => track.kind === 'video'),
      audio: made.find((track) => track.kind === 'audio'),
      notes,
      readSegments: segmentReader(handle, iso),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function checkHeader(handle: FileHandle, size: number): Promise<void> {
  if (size === 0) throw new InputError('the file is empty');
  const head = Buffer.alloc(8);
  const { bytesRead } = await handle.read(head, 0, 8, 0);
  if (bytesRead < 8 || !TOP_LEVEL_BOXES.has(head.toString('latin1', 4, 8))) throw new InputError('not an MP4 file (no ISO BMFF box at its start)');
}

async function readMovie(handle: FileHandle, size: number, iso: ISOFile): Promise<Movie> {
  let movie: Movie | undefined;
  let failure: string | undefined;
  iso.onReady = (info) => void (movie = info);
  iso.onError = (module, message) => void (failure ??= `${module}: ${message}`);
  let position = 0;
  while (position < size) {
    const chunk = new MP4BoxBuffer(Math.min(CHUNK_BYTES, size - position));
    const { bytesRead } = await handle.read(new Uint8Array(chunk), 0, chunk.byteLength, position);
    if (bytesRead === 0) break;
    chunk.fileStart = position;
    const next = iso.appendBuffer(bytesRead === chunk.byteLength ? chunk : MP4BoxBuffer.fromArrayBuffer(chunk.slice(0, bytesRead), position));
    if (failure) throw new InputError(`mp4box cannot parse it (${failure})`);
    // A fragmented file keeps samples in moof boxes all along the file: read to the end for those.
    if (movie && !movie.isFragmented) break;
    // mp4box answers where it wants the next bytes: past an mdat it skips, or (for a box still incomplete) a
    // position already given, in which case the stream simply continues.
    position = Math.max(next ?? 0, position + bytesRead);
  }
  if (!movie) throw new InputError('the file is truncated (moov box missing)');
  return movie;
}

type Handler = 'video' | 'audio' | 'other';

/** The track's kind by its handler (vide/soun): mp4box types a track by its sample entry, unknown for `.mp3`. */
function handlerOf(iso: ISOFile, track: Track): Handler {
  const handler = iso.getTrackById(track.id)?.mdia?.hdlr?.handler;
  return handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : track.type === 'video' || track.type === 'audio' ? track.type : 'other';
}

function selectTracks(movie: Movie, handler: (track: Track) => Handler): { video?: Track; audio?: Track; notes: string[] } {
  const notes: string[] = [];
  const video = movie.tracks.find((track) => handler(track) === 'video' && VIDEO_CODEC.test(track.codec));
  const audio = movie.tracks.find((track) => handler(track) === 'audio' && AUDIO_CODEC.test(track.codec));
  const describe = (track: Track): string => `${handler(track) === 'other' ? (track.type ?? 'other') : handler(track)} ${track.codec || '?'}`;
  const otherVideo = movie.tracks.filter((track) => handler(track) === 'video' && track !== video);
  const otherAudio = movie.tracks.filter((track) => handler(track) === 'audio' && track !== audio);
  // Audio alone out of a film would surprise: better say so than package half of it.
  if (!video && otherVideo.length > 0) throw new InputError(`video codec ${otherVideo[0].codec} is not H.264 or H.265 (p2p-seed remuxes, it does not transcode)`);
  if (!video && !audio && otherAudio.length > 0) throw new InputError(`audio codec ${otherAudio[0].codec} is not AAC (p2p-seed remuxes, it does not transcode)`);
  if (!video && !audio) {
    const list = movie.tracks.length > 0 ? `found ${movie.tracks.map(describe).join(', ')}` : 'the file has no tracks';
    throw new InputError(`no supported track (${list}); p2p-seed packages H.264/H.265 video and AAC audio`);
  }
  if (otherAudio.length > 0) {
    const what = audio ? 'only the first AAC track is packaged' : 'packaged without audio (p2p-seed carries AAC only)';
    notes.push(`audio track ${otherAudio.map((track) => `#${track.id} (${track.codec})`).join(', ')} left out: ${what}`);
  }
  if (otherVideo.length > 0) notes.push(`video track ${otherVideo.map((track) => `#${track.id} (${track.codec})`).join(', ')} left out: only the first is packaged`);
  return { video, audio, notes };
}

let logQuieted = false;

/**
 * mp4box prints box-level complaints that it survives (a QuickTime `©swr` tag, say) with console.error when no
 * file is named. Those go nowhere; errors tied to a file still reach its onError, which the packager reports.
 */
function quietMp4boxLog(): void {
  if (logQuieted) return;
  logQuieted = true;
  const forward = Log.error.bind(Log);
  Log.error = (module: string, message: string, isofile?: ISOFile) => {
    if (isofile?.onError) forward(module, message, isofile);
  };
}

function samplesOf(iso: ISOFile, track: Track, fileSize: number): Sample[] {
  const samples = iso.getTrackById(track.id).samples ?? [];
  if (samples.length === 0) throw new InputError(`its ${track.type ?? ''} track ${track.id} has no samples`);
  let end = 0;
  for (const sample of samples) {
    end = Math.max(end, sample.offset + sample.size);
    if (sample.description_index !== samples[0].description_index) {
      throw new InputError(`track ${track.id} changes its sample description midway, which p2p-seed does not package`);
    }
  }
  if (end > fileSize) throw new InputError(`the file is truncated (its samples end at byte ${end}, the file has ${fileSize})`);
  // mp4box gives the last sample what is left of the track duration, 0 when the header says too little.
  const last = samples[samples.length - 1];
  if (samples.length > 1 && !(last.duration > 0)) last.duration = samples[samples.length - 2].duration;
  return samples;
}

function toSourceTrack(track: Track, samples: Sample[], init: Uint8Array): SourceTrack {
  let ticks = 0;
  let bytes = 0;
  for (const sample of samples) {
    ticks += sample.duration;
    bytes += sample.size;
  }
  const kind = track.type === 'video' ? 'video' : 'audio';
  return {
    id: track.id,
    kind,
    codec: track.codec,
    timescale: track.timescale,
    samples,
    ticks,
    bytes,
    width: track.video?.width ?? 0,
    height: track.video?.height ?? 0,
    frameRate: kind === 'video' && ticks > 0 ? (samples.length * track.timescale) / ticks : 0,
    channels: track.audio?.channel_count ?? 0,
    language: track.language || 'und',
    init,
  };
}
