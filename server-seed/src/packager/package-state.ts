import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Bump when the output changes in a way that should repackage every title (2: a poster.mp4 in each title with video). */
export const PACKAGER_VERSION = 2;
/** Written last into a title folder: its presence means the folder is complete and made by the packager. */
export const STATE_FILE = '.p2p-package.json';

export interface SourceStamp {
  /** File name, in the folder that holds the title folder. */
  name: string;
  size: number;
  mtimeMs: number;
}

export interface PackageState {
  packager: number;
  targetSegmentSeconds: number;
  sources: SourceStamp[];
  /** Sources of the title that could not be used, reported again on runs that find the title up to date. */
  skipped: { file: string; reason: string }[];
  renditions: string[];
  segments: number;
  bytes: number;
}

export async function readState(titleFolder: string): Promise<PackageState | null> {
  try {
    const state = JSON.parse(await readFile(path.join(titleFolder, STATE_FILE), 'utf8')) as Partial<PackageState>;
    if (typeof state.packager !== 'number' || !Array.isArray(state.sources)) return null;
    return {
      packager: state.packager,
      targetSegmentSeconds: state.targetSegmentSeconds ?? 0,
      sources: state.sources,
      skipped: state.skipped ?? [],
      renditions: state.renditions ?? [],
      segments: state.segments ?? 0,
      bytes: state.bytes ?? 0,
    };
  } catch {
    return null;
  }
}

/** Whether a title made from `sources` with these options would come out as it already is. */
export function isCurrent(state: PackageState, sources: readonly SourceStamp[], targetSegmentSeconds: number): boolean {
  if (state.packager !== PACKAGER_VERSION || state.targetSegmentSeconds !== targetSegmentSeconds) return false;
  if (state.sources.length !== sources.length) return false;
  const known = new Map(state.sources.map((stamp) => [stamp.name, stamp]));
  return sources.every((stamp) => {
    const previous = known.get(stamp.name);
    return previous !== undefined && previous.size === stamp.size && previous.mtimeMs === stamp.mtimeMs;
  });
}

export function stateText(state: PackageState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
