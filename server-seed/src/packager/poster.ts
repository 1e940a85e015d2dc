import type { Mp4Source, SourceTrack } from './mp4-source.ts';

/** The poster frame's file in a title folder: a gallery turns it into an image in the browser. */
export const POSTER_FILE = 'poster.mp4';

/**
 * A gallery tile is ~320-400 px wide, so ~360 px tall on a 2x screen: the poster comes from the smallest
 * rendition at least this tall, so it stays a few kilobytes without being blurry.
 */
const POSTER_MIN_HEIGHT = 360;

export interface PosterCandidate {
  source: Mp4Source;
  track: SourceTrack;
}

/** The rendition a poster is made from: the smallest at least 360 px tall, else the tallest there is. */
export function posterRendition<T extends PosterCandidate>(videos: readonly T[]): T | undefined {
  const byHeight = [...videos].sort((a, b) => a.track.height - b.track.height || a.track.bytes - b.track.bytes);
  return byHeight.find((video) => video.track.height >= POSTER_MIN_HEIGHT) ?? byHeight.at(-1);
}

/**
 * A self-contained fragmented MP4 showing the track's first key frame: its initialisation segment (the same bytes
 * as the rendition's init.mp4) and one fragment holding that sample alone. No decoding here: a browser's <video>
 * turns it into pixels. Undefined when the track has no key frame.
 */
export async function buildPoster(source: Mp4Source, track: SourceTrack): Promise<Uint8Array | undefined> {
  const key = track.samples.find((sample) => sample.is_sync);
  if (!key) return undefined;
  const read = await source.readSegments([{ samples: [key], sequence: 1 }]);
  const poster = new Uint8Array(Buffer.concat([track.init, ...read.segments[0]]));
  read.release();
  return poster;
}
