import { randomBytes } from 'node:crypto';
import { lstat, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** `.TITLE.tmp-1a2b3c4d` (being built) and `.TITLE.old-1a2b3c4d` (being replaced): left over only by a crash. */
const WORK_FOLDER = /^\..+\.(tmp|old)-[0-9a-f]{8}$/;

export function isWorkFolderName(name: string): boolean {
  return WORK_FOLDER.test(name);
}

/** A fresh sibling of `target` to build the title in; a dot folder, so nothing serves or scans it meanwhile. */
export function workFolderFor(target: string, kind: 'tmp' | 'old' = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${randomBytes(4).toString('hex')}`);
}

/**
 * Puts the finished `built` folder at `target`. An existing title is first renamed aside, then removed once the
 * new one is in place; should the second rename fail, the old title is put back. Each step is one rename in the
 * same directory, so `target` is at every moment either the old complete title, absent, or the new one.
 */
export async function swapIntoPlace(built: string, target: string): Promise<void> {
  const previous = (await exists(target)) ? workFolderFor(target, 'old') : null;
  if (previous) await rename(target, previous);
  try {
    await rename(built, target);
  } catch (error) {
    if (previous) await rename(previous, target).catch(() => {});
    throw error;
  }
  if (previous) await rm(previous, { recursive: true, force: true });
}

export async function removeFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}
