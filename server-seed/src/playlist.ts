import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Parser } from 'm3u8-parser';
import type { Manifest, ManifestAttributes } from 'm3u8-parser';
import { isInside } from './safe-resolve.ts';

export interface Rendition {
  width?: number;
  height?: number;
  bandwidth?: number;
  codecs?: string;
}

export interface MultivariantPlaylist {
  kind: 'multivariant';
  path: string;
  renditions: Rendition[];
  /** Local media playlist of each variant, in playlist order (null where it is remote or outside the root). */
  variants: (string | null)[];
  /** Every local media playlist it names: variants, alternate renditions, I-frame playlists. */
  mediaPlaylists: string[];
}

export interface MediaPlaylist {
  kind: 'media';
  path: string;
  /** Sum of segment durations, seconds. */
  duration: number;
  /** Local files it names: segments, init segments, keys. */
  resources: string[];
}

export type Playlist = MultivariantPlaylist | MediaPlaylist;

/** A file that is not a usable playlist; the message says why in words for a log line. */
export class PlaylistError extends Error {
  override name = 'PlaylistError';
}

// Far above any real VOD playlist; stops a mislabelled multi-gigabyte file from being read into memory.
const MAX_PLAYLIST_BYTES = 16 * 1024 * 1024;

/** An HLS playlist's text as m3u8-parser reads it (no checks: callers decide what a usable playlist is). */
export function parseM3u8(text: string): Manifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/** Reads and classifies one .m3u8 file; URIs are resolved to absolute paths below `root`. */
export async function readPlaylist(file: string, root: string): Promise<Playlist> {
  const info = await stat(file);
  if (info.size > MAX_PLAYLIST_BYTES) throw new PlaylistError(`too large for a playlist (${info.size} bytes)`);
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  if (!/^\s*#EXTM3U/.test(text)) throw new PlaylistError('not an HLS playlist (no #EXTM3U header)');

  let manifest: Manifest;
  try {
    manifest = parseM3u8(text);
  } catch (error) {
    throw new PlaylistError(`cannot parse: ${(error as Error).message}`);
  }

  const local = (uri: string | undefined): string | null => resolveUri(uri, file, root);
  const variants = manifest.playlists ?? [];
  if (variants.length > 0) {
    const alternates = Object.values(manifest.mediaGroups ?? {})
      .flatMap((group) => Object.values(group))
      .flatMap((names) => Object.values(names))
      .map((media) => media.uri);
    const iFrames = (manifest.iFramePlaylists ?? []).map((entry) => entry.uri);
    const variantPaths = variants.map((variant) => local(variant.uri));
    return {
      kind: 'multivariant',
      path: file,
      renditions: variants.map((variant) => toRendition(variant.attributes)),
      variants: variantPaths,
      mediaPlaylists: unique([...variantPaths, ...alternates.map(local), ...iFrames.map(local)]),
    };
  }

  const segments = manifest.segments ?? [];
  if (segments.length === 0) throw new PlaylistError('has neither variants nor segments');
  const duration = segments.reduce((sum, { duration }) => sum + (typeof duration === 'number' && duration > 0 ? duration : 0), 0);
  return {
    kind: 'media',
    path: file,
    // Rounded to the millisecond: summing 6.006 a thousand times leaves float dust.
    duration: Math.round(duration * 1000) / 1000,
    resources: unique(segments.flatMap((segment) => [segment.uri, segment.map?.uri, segment.key?.uri].map(local))),
  };
}

function toRendition(attributes: ManifestAttributes): Rendition {
  const rendition: Rendition = {};
  const resolution = attributes.RESOLUTION;
  if (resolution && Number.isFinite(resolution.width) && Number.isFinite(resolution.height)) {
    rendition.width = resolution.width;
    rendition.height = resolution.height;
  }
  if (typeof attributes.BANDWIDTH === 'number' && Number.isFinite(attributes.BANDWIDTH)) rendition.bandwidth = attributes.BANDWIDTH;
  if (typeof attributes.CODECS === 'string' && attributes.CODECS) rendition.codecs = attributes.CODECS;
  return rendition;
}

/**
 * A playlist URI as a local path: relative to the playlist, or to the root when it starts with '/'.
 * URLs with a scheme (another host, data:, skd:) and anything resolving outside the root are not ours.
 */
function resolveUri(uri: string | undefined, playlist: string, root: string): string | null {
  if (!uri || /^[a-z][a-z\d+.-]*:/i.test(uri) || uri.startsWith('//')) return null;
  let pathPart = uri.replace(/[?#].*$/s, '');
  try {
    pathPart = decodeURIComponent(pathPart);
  } catch {
    // Keep the raw text: a file may really be named with a stray '%'.
  }
  const resolved = pathPart.startsWith('/') ? path.join(root, pathPart) : path.resolve(path.dirname(playlist), pathPart);
  return isInside(root, resolved) ? resolved : null;
}

function unique(paths: (string | null)[]): string[] {
  return [...new Set(paths.filter((entry): entry is string => entry !== null))];
}
