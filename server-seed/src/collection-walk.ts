import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { isInside } from './safe-resolve.ts';

export interface WalkOptions {
  /** How many directory levels below the root are read (the root itself is level 0). */
  maxDepth: number;
  warn: (message: string) => void;
}

/**
 * Every regular file under `root` (a real path) with its size, skipping dot entries and node_modules.
 * Symlinks are followed only while they stay inside the root, matching what the server will serve.
 */
export async function walkCollection(root: string, options: WalkOptions): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();

  async function visit(dir: string, depth: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) throw error;
      options.warn(`cannot read ${path.relative(root, dir)}: ${(error as Error).message}`);
      return;
    }
    const subdirs: string[] = [];
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') return;
        const full = path.join(dir, entry.name);
        const kind = await kindOf(entry, full, root);
        if (kind === 'directory') subdirs.push(full);
        else if (kind === 'file') sizes.set(full, (await stat(full).catch(() => null))?.size ?? 0);
      }),
    );
    if (depth >= options.maxDepth) return;
    // One directory at a time keeps open file handles bounded on a large collection.
    for (const subdir of subdirs.sort()) await visit(subdir, depth + 1);
  }

  await visit(root, 0);
  return sizes;
}

async function kindOf(entry: Dirent, full: string, root: string): Promise<'file' | 'directory' | null> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (!entry.isSymbolicLink()) return null;
  try {
    const target = await realpath(full);
    if (!isInside(root, target)) return null;
    const info = await stat(target);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : null;
  } catch {
    return null;
  }
}
