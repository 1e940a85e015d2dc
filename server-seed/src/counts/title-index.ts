import type { Collection } from '../collection.ts';

/** Finds which title of the collection a URL path belongs to. Paths are compared decoded ("/my film/master.m3u8"). */
export interface TitleIndex {
  /** The title whose `src` this is (a playlist URL's path, or a progressive file's). */
  bySrc(pathname: string): string | undefined;
  /** The title a served file belongs to: a progressive title's file, or a file in an HLS title's folder or below. */
  byFile(pathname: string): string | undefined;
}

const indexes = new WeakMap<Collection, TitleIndex>();

/** The index of one listing (built once per listing: the collection cache hands out the same object for a while). */
export function titleIndex(collection: Collection): TitleIndex {
  let index = indexes.get(collection);
  if (!index) {
    index = buildIndex(collection);
    indexes.set(collection, index);
  }
  return index;
}

function buildIndex(collection: Collection): TitleIndex {
  const bySrc = new Map<string, string>();
  // Folder -> title, or null when several HLS titles share the folder (its files cannot be told apart by path).
  const byFolder = new Map<string, string | null>();
  for (const title of collection.titles) {
    const src = decodePath(title.src);
    if (src === undefined) continue;
    bySrc.set(src, title.id);
    if (title.type !== 'hls') continue;
    const folder = src.slice(0, src.lastIndexOf('/')) || '/';
    byFolder.set(folder, byFolder.has(folder) ? null : title.id);
  }
  return {
    bySrc: (pathname) => {
      const decoded = decodePath(pathname);
      return decoded === undefined ? undefined : bySrc.get(decoded);
    },
    byFile: (pathname) => {
      const exact = bySrc.get(pathname);
      if (exact !== undefined) return exact;
      // The nearest folder holding a title: segments live in the title's folder or a rendition folder below it.
      for (let end = pathname.lastIndexOf('/'); end >= 0; end = pathname.lastIndexOf('/', end - 1)) {
        const owner = byFolder.get(pathname.slice(0, end) || '/');
        if (owner !== undefined) return owner ?? undefined;
        if (end === 0) break;
      }
      return undefined;
    },
  };
}

/** "/my%20film/master.m3u8" -> "/my film/master.m3u8"; undefined when the escapes are malformed. */
export function decodePath(pathname: string): string | undefined {
  try {
    return pathname
      .split('/')
      .map((part) => decodeURIComponent(part))
      .join('/');
  } catch {
    return undefined;
  }
}
