import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { walkCollection } from './collection-walk.ts';
import { POSTER_FILE } from './packager/poster.ts';
import { PlaylistError, readPlaylist } from './playlist.ts';
import type { MediaPlaylist, Playlist, Rendition } from './playlist.ts';

export type { Rendition } from './playlist.ts';

export interface Title {
  /** Path of the title relative to the root: its folder ("demo") or, when a folder holds several, its file. */
  id: string;
  /** Human title from the folder or file name: "big_buck-bunny" -> "big buck bunny". */
  name: string;
  /** Absolute URL path to play, e.g. "/demo/master.m3u8". */
  src: string;
  type: 'hls' | 'progressive';
  /** Seconds; null when unknown (progressive files, remote media playlists). */
  duration: number | null;
  /** The variants a multivariant playlist announces; empty for a media playlist or a progressive file. */
  renditions: Rendition[];
  /** Size on disk of the files the title streams: playlists, segments, init segments, keys (or the file). */
  bytes: number;
  /**
   * Absolute URL path of a still for the title, when its folder has one: the site's own poster.jpg (.jpeg, .png,
   * .webp) first, else the packager's poster.mp4 (one key frame, which a page draws into an image).
   */
  poster?: string;
  /**
   * A progressive title's torrent, once the server has hashed the file (added by the server to /collection.json):
   * its info hash, the URL path of its .torrent and a magnet naming this server's tracker and the file as web seed.
   */
  torrent?: { infoHash: string; torrentUrl: string; magnet: string };
  /** A live stream p2p-seed follows (`--live`, added by the server to /collection.json): no duration, no size. */
  live?: true;
}

export interface Collection {
  version: 1;
  titles: Title[];
}

export interface ScanOptions {
  /** Receives one line per skipped file. Silent by default. */
  logger?: (line: string) => void;
}

const MAX_DEPTH = 4;
const PROGRESSIVE_EXTENSIONS = new Set(['.mp4', '.m4v', '.webm']);
const READ_CONCURRENCY = 16;
const POSTER_FILES = ['poster.jpg', 'poster.jpeg', 'poster.png', 'poster.webp', POSTER_FILE];

/**
 * Lists the titles under `root`: every multivariant playlist, every media playlist no multivariant playlist
 * names, and every MP4/WebM that is neither part of nor the source of an HLS title.
 */
export async function scanCollection(root: string, options: ScanOptions = {}): Promise<Collection> {
  const log = options.logger ?? (() => {});
  // Reads run concurrently; warnings are held and logged sorted so the log reads the same on every run.
  const warnings: string[] = [];
  const warn = (message: string): void => void warnings.push(`p2p-seed: warning: ${message}`);
  const realRoot = await realpath(path.resolve(root));
  const sizes = await walkCollection(realRoot, { maxDepth: MAX_DEPTH, warn });
  const relative = (file: string): string => path.relative(realRoot, file).split(path.sep).join('/');

  const loaded = new Map<string, Promise<Playlist | null>>();
  const load = (file: string): Promise<Playlist | null> => {
    let playlist = loaded.get(file);
    if (!playlist) {
      playlist = readPlaylist(file, realRoot).catch((error: unknown) => {
        warn(`skipped ${relative(file)}: ${describe(error)}`);
        return null;
      });
      loaded.set(file, playlist);
    }
    return playlist;
  };
  const sizeOf = async (file: string): Promise<number> =>
    sizes.get(file) ?? (await stat(file).catch(() => null))?.size ?? 0;

  const found = [...sizes.keys()].filter((file) => extension(file) === '.m3u8');
  const playlists = (await mapLimit(found, READ_CONCURRENCY, load)).filter((entry) => entry !== null);
  const named = new Set(playlists.flatMap((entry) => (entry.kind === 'multivariant' ? entry.mediaPlaylists : [])));
  const hlsRoots = playlists.filter((entry) => entry.kind === 'multivariant' || !named.has(entry.path));

  const rootsPerDir = new Map<string, number>();
  for (const entry of hlsRoots) rootsPerDir.set(path.dirname(entry.path), (rootsPerDir.get(path.dirname(entry.path)) ?? 0) + 1);

  const titles: Title[] = [];
  const streamedFiles = new Set<string>();
  // Paths without extension that name an HLS title, so `demo.mp4` beside `demo/` is recognised as its source.
  const hlsStems = new Set<string>();

  for (const entry of hlsRoots) {
    const dir = path.dirname(entry.path);
    const isFolderTitle = dir !== realRoot && rootsPerDir.get(dir) === 1;
    const media =
      entry.kind === 'multivariant'
        ? (await mapLimit(entry.mediaPlaylists, READ_CONCURRENCY, load)).filter((item): item is MediaPlaylist => item?.kind === 'media')
        : [entry];
    const files = new Set([entry.path, ...media.flatMap((item) => [item.path, ...item.resources])]);
    for (const file of files) streamedFiles.add(file);

    if (isFolderTitle) {
      hlsStems.add(dir);
      hlsStems.add(path.join(dir, path.basename(dir)));
    } else {
      hlsStems.add(withoutExtension(entry.path));
    }

    // Only a folder of its own says whose poster a poster file is.
    const poster = isFolderTitle ? POSTER_FILES.map((name) => path.join(dir, name)).find((file) => sizes.has(file)) : undefined;

    const first = entry.kind === 'multivariant' ? media.find((item) => item.path === entry.variants[0]) : entry;
    titles.push({
      id: relative(isFolderTitle ? dir : entry.path),
      name: humanize(path.basename(isFolderTitle ? dir : withoutExtension(entry.path))),
      src: urlPath(relative(entry.path)),
      type: 'hls',
      duration: first?.duration ?? null,
      renditions: entry.kind === 'multivariant' ? entry.renditions : [],
      bytes: sum(await mapLimit([...files], READ_CONCURRENCY, sizeOf)),
      ...(poster ? { poster: urlPath(relative(poster)) } : {}),
    });
  }

  // A poster.mp4 beside a playlist is a packaged title's poster frame, not a title of its own.
  const playlistDirs = new Set(found.map((file) => path.dirname(file)));
  const isPosterOfPlaylist = (file: string): boolean => path.basename(file) === POSTER_FILE && playlistDirs.has(path.dirname(file));
  for (const [file, size] of sizes) {
    if (!PROGRESSIVE_EXTENSIONS.has(extension(file))) continue;
    // `film.720p.mp4` is a rendition source of the title `film/` as much as `film.mp4` is.
    const stem = withoutExtension(file).replace(/\.\d+p$/i, '');
    if (streamedFiles.has(file) || isPosterOfPlaylist(file) || hlsStems.has(withoutExtension(file)) || hlsStems.has(stem)) continue;
    titles.push({
      id: relative(file),
      name: humanize(path.basename(withoutExtension(file))),
      src: urlPath(relative(file)),
      type: 'progressive',
      duration: null,
      renditions: [],
      bytes: size,
    });
  }

  for (const line of warnings.sort()) log(line);

  const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  titles.sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { version: 1, titles };
}

/** "big_buck-bunny" -> "big buck bunny". */
export function humanize(name: string): string {
  return name.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim() || name;
}

function urlPath(relativePath: string): string {
  return `/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

function extension(file: string): string {
  return path.extname(file).toLowerCase();
}

function withoutExtension(file: string): string {
  return file.slice(0, file.length - path.extname(file).length);
}

function describe(error: unknown): string {
  if (error instanceof PlaylistError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  return error instanceof Error ? error.message : String(error);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Like Promise.all over `items`, with at most `limit` calls pending (file handles are finite). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
