import type { IncomingMessage, ServerResponse } from 'node:http';
import { POSTER_FILE } from './packager/poster.ts';

const MEDIA = /\.(m4s|ts|mp4|m4v|m4a|aac|webm|cmfv|cmfa)$/i;

export interface OriginCounterOptions {
  /**
   * Also keeps the bytes sent per file (by URL path), for `takeByPath()` to hand over and forget: how download
   * counts attribute origin bytes to titles. Off by default, so nothing grows when nobody takes them.
   */
  byPath?: boolean;
}

export interface OriginCounts {
  /** Body bytes of media segments (and progressive files) this server sent. */
  segmentBytes: number;
  segmentRequests: number;
}

/**
 * Counts the media bytes the origin really sends, so what peers saved can be measured at the site rather than
 * taken from the players' word.
 */
export class OriginCounter {
  private counts: OriginCounts = { segmentBytes: 0, segmentRequests: 0 };
  private byPath: Map<string, number> | undefined;

  constructor(options: OriginCounterOptions = {}) {
    if (options.byPath) this.byPath = new Map();
  }

  get snapshot(): OriginCounts {
    return { ...this.counts };
  }

  /**
   * Watches one response for a media path; counts its body once it is sent. `pathname` is the file name; `segments`,
   * the decoded URL path ("demo", "360p", "seg-00001.m4s"), says which file, for `takeByPath()`.
   */
  watch(req: IncomingMessage, res: ServerResponse, pathname: string, segments?: readonly string[]): void {
    // A gallery's poster frames are not stream bytes: counting them would understate what peers saved.
    if (req.method !== 'GET' || !MEDIA.test(pathname) || pathname === POSTER_FILE) return;
    res.once('finish', () => {
      if (res.statusCode !== 200 && res.statusCode !== 206) return;
      const length = Number(res.getHeader('content-length'));
      if (!Number.isFinite(length) || length <= 0) return;
      this.counts.segmentBytes += length;
      this.counts.segmentRequests += 1;
      if (this.byPath && segments) {
        const key = `/${segments.join('/')}`;
        this.byPath.set(key, (this.byPath.get(key) ?? 0) + length);
      }
    });
  }

  /** The bytes sent per file ("/demo/360p/seg-00001.m4s", decoded) since the last call. */
  takeByPath(): Map<string, number> {
    const taken = this.byPath ?? new Map<string, number>();
    if (this.byPath) this.byPath = new Map();
    return taken;
  }

  reset(): void {
    this.counts = { segmentBytes: 0, segmentRequests: 0 };
    this.byPath?.clear();
  }
}
