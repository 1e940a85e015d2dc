import path from 'node:path';

// Set explicitly: the mime database disagrees between versions on HLS and segment types (e.g. `.ts` as
// TypeScript), and players are picky about them.
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'video/webm',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.key': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.torrent': 'application/x-bittorrent',
};

// Media segments and images never change under the same name; playlists (live ones change), pages, JSON and
// anything unknown are revalidated with their ETag instead.
const LONG_LIVED = new Set(['.ts', '.m4s', '.mp4', '.m4v', '.m4a', '.aac', '.webm', '.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif']);

export const REVALIDATE = 'no-cache';
export const ONE_DAY = 'public, max-age=86400';

/** The Content-Type we insist on for a file, or undefined to let the mime database decide. */
export function contentTypeFor(filePath: string): string | undefined {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()];
}

/** The Cache-Control for a file of the collection or the examples. */
export function cacheControlFor(filePath: string): string {
  return LONG_LIVED.has(path.extname(filePath).toLowerCase()) ? ONE_DAY : REVALIDATE;
}
