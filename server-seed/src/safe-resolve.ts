import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type Resolution =
  | { kind: 'file' | 'directory'; realPath: string; relative: string[] }
  | { kind: 'missing' }
  | { kind: 'forbidden' };

/** True when `child` is `parent` or lies below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const prefix = parent.endsWith(path.sep) ? parent : parent + path.sep;
  return child === parent || child.startsWith(prefix);
}

/**
 * Finds `segments` below `baseDir` after following every symlink, and refuses the result unless it is still
 * inside the real base directory: a link in the collection must not publish the rest of the disk.
 * Only regular files and directories are offered (a FIFO would hang the response).
 */
export async function resolveInside(baseDir: string, segments: readonly string[]): Promise<Resolution> {
  let realBase: string;
  let realPath: string;
  try {
    realBase = await realpath(baseDir);
    realPath = await realpath(path.join(realBase, ...segments));
  } catch (error) {
    return isNotFound(error) ? { kind: 'missing' } : { kind: 'forbidden' };
  }
  if (!isInside(realBase, realPath)) return { kind: 'forbidden' };

  const relative = path.relative(realBase, realPath).split(path.sep).filter(Boolean);
  // A link to a dotfile inside the base is still a dotfile.
  if (relative.some((part) => part.startsWith('.'))) return { kind: 'missing' };

  try {
    const info = await stat(realPath);
    if (info.isFile()) return { kind: 'file', realPath, relative };
    if (info.isDirectory()) return { kind: 'directory', realPath, relative };
    return { kind: 'forbidden' };
  } catch (error) {
    return isNotFound(error) ? { kind: 'missing' } : { kind: 'forbidden' };
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}
