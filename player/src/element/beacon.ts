import type { P2PStats } from '../engine/stats.ts';
import type { BeaconBody } from '../protocol/beacon.ts';

export type { BeaconBody };

export interface BeaconOptions {
  src: string;
  media: HTMLMediaElement;
  stats: () => P2PStats;
  rendition?: () => string | undefined;
  /** Sends one body; navigator.sendBeacon in browsers. Returns false when the browser refused to queue it. */
  send?: (url: string, body: string) => boolean;
  /** While playing, one beacon per this many milliseconds. */
  intervalMs?: number;
}

const INTERVAL_MS = 30_000;
/** A jump of the playhead larger than this between two timeupdates is a seek, not watching. */
const MAX_STEP_SECONDS = 2;

/**
 * Tells the site's `/beacon` how a viewing went: at the first `playing`, every 30 s while playing, and when the page
 * is hidden or the source goes away. Waits for the beacon URL (from the `beacon` attribute or the stream's swarm
 * metadata); without one it sends nothing.
 */
export class BeaconReporter {
  readonly session = randomSessionId();
  private readonly options: BeaconOptions;
  private readonly send: (url: string, body: string) => boolean;
  private url: string | undefined;
  private played = false;
  private started = false;
  private watchSeconds = 0;
  private lastTime: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastSent = '';
  private closed = false;

  constructor(options: BeaconOptions) {
    this.options = options;
    this.send = options.send ?? ((url, body) => navigator.sendBeacon(url, body));
    const media = options.media;
    media.addEventListener('playing', this.onPlaying);
    media.addEventListener('pause', this.onPause);
    media.addEventListener('ended', this.onPause);
    media.addEventListener('timeupdate', this.onTimeUpdate);
    media.addEventListener('seeking', this.onSeeking);
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('pagehide', this.onPageHide);
  }

  /** The beacon URL, once known; undefined turns beacons off. A session already under way reports at once. */
  setUrl(url: string | undefined): void {
    if (this.closed) return;
    this.url = url;
    if (url && this.played && !this.started) this.report('start');
  }

  /** The source is going away: a last beacon if this session played, then silence. */
  close(): void {
    if (this.closed) return;
    if (this.played) this.report('end');
    this.closed = true;
    this.stopTimer();
    const media = this.options.media;
    media.removeEventListener('playing', this.onPlaying);
    media.removeEventListener('pause', this.onPause);
    media.removeEventListener('ended', this.onPause);
    media.removeEventListener('timeupdate', this.onTimeUpdate);
    media.removeEventListener('seeking', this.onSeeking);
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('pagehide', this.onPageHide);
  }

  private readonly onPlaying = (): void => {
    this.lastTime = this.options.media.currentTime;
    this.played = true;
    if (!this.started) this.report('start');
    if (this.timer === undefined) this.timer = setInterval(() => this.report('progress'), this.options.intervalMs ?? INTERVAL_MS);
  };

  private readonly onPause = (): void => {
    this.onTimeUpdate();
    this.stopTimer();
    if (this.played) this.report('progress');
  };

  private readonly onTimeUpdate = (): void => {
    const now = this.options.media.currentTime;
    if (this.lastTime !== undefined) {
      const step = now - this.lastTime;
      if (step > 0 && step <= MAX_STEP_SECONDS * Math.max(1, this.options.media.playbackRate)) this.watchSeconds += step;
    }
    this.lastTime = now;
  };

  private readonly onSeeking = (): void => {
    this.lastTime = undefined;
  };

  // A page hidden may never come back (mobile browsers kill background tabs): report now, not at unload.
  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'hidden' && this.played) this.report('end');
  };

  private readonly onPageHide = (): void => {
    if (this.played) this.report('end');
  };

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private report(event: BeaconBody['event']): void {
    const url = this.url;
    if (this.closed || !url) return;
    const stats = this.options.stats();
    const body: BeaconBody = {
      v: 1,
      session: this.session,
      event,
      src: this.options.src,
      rendition: this.options.rendition?.(),
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      uploadBytes: stats.uploadBytes,
      watchSeconds: Math.round(this.watchSeconds * 10) / 10,
      played: this.played,
    };
    const text = JSON.stringify(body);
    // Nothing new since the last beacon (a pause after a progress report, hidden twice): the site already knows.
    if (event !== 'start' && text === this.lastSent) return;
    if (event === 'progress' && text.replace('"event":"progress"', '"event":"end"') === this.lastSent) return;
    let queued = false;
    try {
      queued = this.send(url, text);
    } catch {
      queued = false;
    }
    if (!queued) return;
    this.started = true;
    this.lastSent = text;
  }
}

function randomSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The beacon URL a page asked for with the `beacon` attribute: `off` turns beacons off, null defers to the stream. */
export function beaconFromAttribute(value: string | null, base: string): string | undefined | null {
  if (value === null) return null;
  const text = value.trim();
  if (text === '' || text === 'off' || text === 'none') return undefined;
  try {
    const url = new URL(text, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
