import type { IncomingMessage, ServerResponse } from 'node:http';
import { POSTER_FILE } from './packager/poster.ts';

const MEDIA = /\.(m4s|ts|mp4|m4v|m4a|aac|webm|cmfv|cmfa)$/i;

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

  get snapshot(): OriginCounts {
    return { ...this.counts };
  }

  /** Watches one response for a media path; counts its body once it is sent. */
  watch(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    // A gallery's poster frames are not stream bytes: counting them would understate what peers saved.
    if (req.method !== 'GET' || !MEDIA.test(pathname) || pathname === POSTER_FILE) return;
    res.once('finish', () => {
      if (res.statusCode !== 200 && res.statusCode !== 206) return;
      const length = Number(res.getHeader('content-length'));
      if (!Number.isFinite(length) || length <= 0) return;
      this.counts.segmentBytes += length;
      this.counts.segmentRequests += 1;
    });
  }

  reset(): void {
    this.counts = { segmentBytes: 0, segmentRequests: 0 };
  }
}
