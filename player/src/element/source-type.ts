export type SourceKind = 'hls' | 'progressive' | 'torrent';

export const HLS_MIME = 'application/x-mpegurl';
/** A `magnet:` URI: the file it names plays through WebTorrent. */
export const TORRENT_MIME = 'application/x-bittorrent';

const PROGRESSIVE: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
};

/**
 * The MIME type video.js should be given for a `src`. HLS is recognised by its extension; a URL with no known
 * extension (many sites serve playlists from `/video/123/playlist`) is taken to be HLS as well.
 */
export function sourceMimeType(src: string): string {
  if (/^\s*magnet:/i.test(src)) return TORRENT_MIME;
  const path = src.split(/[?#]/, 1)[0];
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext && ext in PROGRESSIVE) return PROGRESSIVE[ext];
  return HLS_MIME;
}

export function sourceKind(src: string): SourceKind {
  const type = sourceMimeType(src);
  return type === HLS_MIME ? 'hls' : type === TORRENT_MIME ? 'torrent' : 'progressive';
}

/** The MIME type of a progressive file by its name or URL; undefined for anything else. */
export function progressiveMimeType(name: string): string | undefined {
  return sourceKind(name) === 'progressive' ? sourceMimeType(name) : undefined;
}

export function isHlsMimeType(type: string | undefined): boolean {
  const t = (type ?? '').toLowerCase();
  return t === HLS_MIME || t === 'application/vnd.apple.mpegurl' || t === 'audio/mpegurl';
}
