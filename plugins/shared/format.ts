/** Numbers as people read them in a small panel: short, in the units a browser's network panel uses. */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** `1234567` → `1.2 MB` (decimal units, as file sizes and network panels show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second: `1.2 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Bits per second, as playlists announce bitrates: `800 kbit/s`, `2.5 Mbit/s`. */
export function formatBitrate(bitsPerSecond: number): string {
  if (!Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return '';
  if (bitsPerSecond >= 999_500) {
    const m = bitsPerSecond / 1e6;
    return `${m < 9.95 ? m.toFixed(1) : Math.round(m)} Mbit/s`;
  }
  return `${Math.max(1, Math.round(bitsPerSecond / 1000))} kbit/s`;
}

/** Seconds with one decimal: `12.3 s`. */
export function formatSeconds(seconds: number): string {
  return `${(Number.isFinite(seconds) && seconds > 0 ? seconds : 0).toFixed(1)} s`;
}

/** Peer and origin shares of segment bytes, 0–1 each, or undefined before any byte arrived. */
export function shares(p2pBytes: number, httpBytes: number): { peers: number; origin: number } | undefined {
  const p2p = Math.max(0, p2pBytes);
  const http = Math.max(0, httpBytes);
  const total = p2p + http;
  if (total === 0) return undefined;
  return { peers: p2p / total, origin: http / total };
}

/**
 * A share as a whole percentage, never rounded to a misleading end: a share above zero shows `<1%` rather than
 * `0%`, one short of all shows `>99%` rather than `100%`.
 */
export function formatPercent(share: number | undefined): string {
  if (share === undefined || !Number.isFinite(share)) return '–';
  if (share <= 0) return '0%';
  if (share >= 1) return '100%';
  const percent = Math.round(share * 100);
  if (percent === 0) return '<1%';
  if (percent === 100) return '>99%';
  return `${percent}%`;
}

/** Peer ids are 40 hex digits behind a client prefix: the last 8 tell peers apart on screen. */
export function shortPeerId(id: string): string {
  return id.length > 8 ? id.slice(-8) : id;
}

/** A rendition as a viewer names it: `360p · 640×360 · 800 kbit/s`. */
export function formatRendition(rendition: { width?: number; height?: number; bitrate?: number } | undefined): string {
  if (!rendition) return '–';
  const parts: string[] = [];
  if (rendition.height) parts.push(`${rendition.height}p`);
  if (rendition.width && rendition.height) parts.push(`${rendition.width}×${rendition.height}`);
  if (rendition.bitrate) parts.push(formatBitrate(rendition.bitrate));
  return parts.length > 0 ? parts.join(' · ') : '–';
}
