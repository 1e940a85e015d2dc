import type { Mp4Source, SourceTrack } from './mp4-source.ts';

export interface SkippedFile {
  /** Relative to the collection root, with `/`. */
  file: string;
  reason: string;
}

/** Which track of which source file becomes which rendition of a title. */
export interface RenditionPlan {
  /** Highest first; named by height ("720p"), "720p-2" for a second file of the same height. */
  videos: { name: string; source: Mp4Source; track: SourceTrack }[];
  audio?: { source: Mp4Source; track: SourceTrack };
  /** Files that open fine but add nothing (a second audio-only file, say). */
  unused: SkippedFile[];
}

/**
 * One video rendition per file with video, the audio of the highest rendition's file (or of any file that has
 * audio); a title of audio-only files is its richest audio.
 */
export function planRenditions(sources: readonly Mp4Source[], relative: (file: string) => string): RenditionPlan {
  const withVideo = sources
    .filter((source) => source.video)
    .sort((a, b) => (b.video?.height ?? 0) - (a.video?.height ?? 0) || (b.video?.bytes ?? 0) - (a.video?.bytes ?? 0));
  const unused: SkippedFile[] = [];
  if (withVideo.length > 0) {
    const taken = new Set<string>();
    const videos = withVideo.map((source) => {
      const track = source.video as SourceTrack;
      let name = `${track.height}p`;
      for (let copy = 2; taken.has(name); copy += 1) name = `${track.height}p-${copy}`;
      taken.add(name);
      return { name, source, track };
    });
    // The audio of the best rendition's file; another file's when that one has none.
    const audioSource = withVideo.find((source) => source.audio) ?? sources.find((source) => source.audio);
    for (const source of sources) {
      if (!source.video && source !== audioSource) unused.push({ file: relative(source.file), reason: 'audio only, beside video renditions that bring their own audio' });
    }
    return { videos, audio: audioSource?.audio ? { source: audioSource, track: audioSource.audio } : undefined, unused };
  }
  const byRate = [...sources].sort((a, b) => rate(b.audio) - rate(a.audio));
  for (const source of byRate.slice(1)) unused.push({ file: relative(source.file), reason: `audio only, like ${relative(byRate[0].file)} which is used` });
  const audio = byRate[0].audio as SourceTrack;
  return { videos: [], audio: { source: byRate[0], track: audio }, unused };
}

function rate(track: SourceTrack | undefined): number {
  return track && track.ticks > 0 ? track.bytes / (track.ticks / track.timescale) : 0;
}
