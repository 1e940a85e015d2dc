import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { STATE_FILE } from './package-state.ts';
import { isWorkFolderName } from './title-folder.ts';
import { groupByTitle } from './title-grouping.ts';

export interface SourceFile {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

/** The sources of one title and where its folder goes. */
export interface TitleSources {
  /** The title folder relative to the root, with `/`: "films/big-buck-bunny". */
  id: string;
  /** Absolute path of the title folder, beside its sources. */
  folder: string;
  files: SourceFile[];
}

export interface SourceScan {
  titles: TitleSources[];
  /** Work folders a crashed run left behind (`.TITLE.tmp-…`, `.TITLE.old-…`). */
  workFolders: string[];
  /** Folders that could not be read. */
  unreadable: { folder: string; reason: string }[];
}

const MAX_DEPTH = 4;

/**
 * Finds the MP4/M4V/MOV files in `root` and its sub-folders (depth ≤ 4), skipping dot folders, node_modules
 * and folders that are packaged titles themselves (they hold our state file or a master.m3u8).
 */
export async function scanSources(root: string): Promise<SourceScan> {
  const scan: SourceScan = { titles: [], workFolders: [], unreadable: [] };

  async function visit(dir: string, depth: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) throw error;
      scan.unreadable.push({ folder: dir, reason: (error as Error).message });
      return;
    }
    if (dir !== root && entries.some((entry) => entry.name === STATE_FILE || entry.name === 'master.m3u8')) return;
    const files: string[] = [];
    const subdirs: string[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const kind = await kindOf(entry, full);
      if (kind === 'directory' && isWorkFolderName(entry.name)) scan.workFolders.push(full);
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      if (kind === 'directory') subdirs.push(full);
      else if (kind === 'file') files.push(entry.name);
    }
    for (const [title, names] of groupByTitle(files)) {
      const stamped = await Promise.all(names.map((name) => stamp(path.join(dir, name))));
      const sources = stamped.filter((file) => file !== null);
      if (sources.length === 0) continue;
      const folder = path.join(dir, title);
      scan.titles.push({ id: path.relative(root, folder).split(path.sep).join('/'), folder, files: sources });
    }
    if (depth >= MAX_DEPTH) return;
    for (const subdir of subdirs.sort()) await visit(subdir, depth + 1);
  }

  await visit(root, 0);
  return scan;
}

async function kindOf(entry: Dirent, full: string): Promise<'file' | 'directory' | null> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (!entry.isSymbolicLink()) return null;
  const info = await stat(full).catch(() => null);
  return info?.isFile() ? 'file' : info?.isDirectory() ? 'directory' : null;
}

async function stamp(file: string): Promise<SourceFile | null> {
  const info = await stat(file).catch(() => null);
  return info ? { path: file, name: path.basename(file), size: info.size, mtimeMs: info.mtimeMs } : null;
}
