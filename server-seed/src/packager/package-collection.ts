import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { packageTitle } from './package-title.ts';
import type { SkippedFile, TitleOutcome } from './package-title.ts';
import { isCurrent, readState } from './package-state.ts';
import { createProgress } from './progress.ts';
import type { ProgressMode } from './progress.ts';
import { scanSources } from './source-scan.ts';
import type { TitleSources } from './source-scan.ts';
import { removeFolder } from './title-folder.ts';

export interface PackageOptions {
  /** Segments are cut at the first key frame at or after this many seconds. Default 4. */
  targetSegmentSeconds?: number;
  /** Receives every plain line (packaging…, packaged…, skipped…), whatever the progress display. */
  logger?: (line: string) => void;
  /** What to show on stdout: 'auto' (default) draws bars on a TTY and plain lines otherwise. */
  progress?: ProgressMode;
  /** Stops between segments; the title being built is removed and the promise rejects with the abort reason. */
  signal?: AbortSignal;
}

export interface PackagedTitle {
  /** The title folder relative to the root, with `/`: "films/big-buck-bunny". */
  title: string;
  /** Folder names of the renditions written: "720p", "360p", "audio". */
  renditions: string[];
  /** Media segments written, all renditions together. */
  segments: number;
  /** Bytes written into the title folder. */
  bytes: number;
  ms: number;
}

export interface PackageReport {
  packaged: PackagedTitle[];
  /** Titles whose sources have not changed since they were packaged (or packaged by another tool: left as they are). */
  upToDate: string[];
  /** Files (relative to the root) that were not packaged, and why. */
  skipped: SkippedFile[];
}

/** Titles packaged at the same time: remuxing is mostly reading and writing files. */
const TITLE_CONCURRENCY = 2;

/**
 * Packages every MP4/M4V/MOV of a collection that is not packaged yet (or whose sources changed) into HLS
 * beside it: TITLE.mp4 and TITLE.480p.mp4 become TITLE/master.m3u8 with its renditions, swarm.json and
 * hashes.json. Bad files are skipped and reported; this rejects only when the root cannot be read or on abort.
 */
export async function packageCollection(root: string, options: PackageOptions = {}): Promise<PackageReport> {
  const target = options.targetSegmentSeconds ?? 4;
  if (!(target > 0)) throw new RangeError(`targetSegmentSeconds must be positive, not ${target}`);
  const progress = createProgress(options.progress ?? 'auto', options.logger);
  const report: PackageReport = { packaged: [], upToDate: [], skipped: [] };
  const base = path.resolve(root);
  const relative = (file: string): string => path.relative(base, file).split(path.sep).join('/');
  const skip = (entries: readonly SkippedFile[]): void => {
    for (const entry of entries) {
      report.skipped.push(entry);
      progress.line(`p2p-seed: skipped ${entry.file}: ${entry.reason}`);
    }
  };
  try {
    const scan = await scanSources(base);
    for (const folder of scan.workFolders) {
      await removeFolder(folder);
      progress.line(`p2p-seed: removed ${relative(folder)}, left unfinished by an earlier run`);
    }
    for (const { folder, reason } of scan.unreadable) progress.line(`p2p-seed: warning: cannot read ${relative(folder)}: ${reason}`);

    const queue: TitleSources[] = [];
    for (const title of scan.titles) {
      const decision = await decide(title, target);
      if (decision.kind === 'current') {
        report.upToDate.push(title.id);
        skip(decision.skipped);
      } else if (decision.kind === 'blocked') {
        skip(title.files.map((file) => ({ file: relative(file.path), reason: decision.reason })));
      } else {
        queue.push(title);
      }
    }

    await runLimited(queue, TITLE_CONCURRENCY, async (title) => {
      options.signal?.throwIfAborted();
      const started = performance.now();
      let outcome: TitleOutcome;
      try {
        outcome = await packageTitle({
          ...title,
          targetSegmentSeconds: target,
          relative,
          signal: options.signal,
          onStart: (count, totalBytes) => {
            progress.line(`p2p-seed: packaging ${title.id} (${count} rendition${count === 1 ? '' : 's'})…`);
            return progress.title(title.id, totalBytes);
          },
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        outcome = { kind: 'skipped', notes: [], skipped: [{ file: relative(title.files[0].path), reason: `packaging failed: ${(error as Error).message}` }] };
      }
      for (const note of outcome.notes) progress.line(`p2p-seed: note: ${note}`);
      skip(outcome.skipped);
      if (outcome.kind === 'packaged') {
        const ms = Math.round(performance.now() - started);
        report.packaged.push({ title: title.id, renditions: outcome.renditions, segments: outcome.segments, bytes: outcome.bytes, ms });
        progress.line(`p2p-seed: packaged ${title.id}: ${outcome.segments} segment${outcome.segments === 1 ? '' : 's'}, ${(outcome.bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s`);
      }
    });

    progress.line(summary(report));
    report.packaged.sort((a, b) => compare(a.title, b.title));
    report.upToDate.sort(compare);
    report.skipped.sort((a, b) => compare(a.file, b.file));
    return report;
  } finally {
    progress.stop();
  }
}

type Decision = { kind: 'package' } | { kind: 'current'; skipped: SkippedFile[] } | { kind: 'blocked'; reason: string };

async function decide(title: TitleSources, target: number): Promise<Decision> {
  const info = await lstat(title.folder).catch(() => null);
  if (!info) return { kind: 'package' };
  const name = path.basename(title.folder);
  if (!info.isDirectory()) return { kind: 'blocked', reason: `${name} exists beside it and is not a folder` };
  const state = await readState(title.folder);
  const stamps = title.files.map((file) => ({ name: file.name, size: file.size, mtimeMs: file.mtimeMs }));
  if (state && isCurrent(state, stamps, target)) return { kind: 'current', skipped: state.skipped };
  if (state) return { kind: 'package' };
  // A folder we did not make: never replace what may be someone's files. One with a master playlist is this
  // file packaged by another tool (the bundled demo is made with ffmpeg): that counts as done.
  const entries = await readdir(title.folder).catch((): string[] => []);
  if (entries.includes('master.m3u8')) return { kind: 'current', skipped: [] };
  if (entries.length > 0) return { kind: 'blocked', reason: `the folder ${name}/ beside it was not made by p2p-seed; move it away to package this file` };
  return { kind: 'package' };
}

function summary(report: PackageReport): string {
  const parts: string[] = [];
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  if (report.packaged.length > 0) parts.push(`packaged ${plural(report.packaged.length, 'title')}`);
  if (report.upToDate.length > 0) parts.push(`${plural(report.upToDate.length, 'title')} up to date`);
  if (report.skipped.length > 0) parts.push(`${plural(report.skipped.length, 'file')} skipped`);
  if (report.packaged.length === 0) return `p2p-seed: nothing to package${parts.length > 0 ? ` (${parts.join(', ')})` : ' (no MP4 files found)'}`;
  return `p2p-seed: ${parts.join(', ')}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}
