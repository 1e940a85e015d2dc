import Hls, { type LevelUpdatedData } from 'hls.js';
import { ErrorCodes } from './constants.ts';
import { P2PError } from './errors.ts';

/** A live playlist that has not advanced for this many target durations (and STALL_MIN_MS) has stopped. */
const STALL_TARGET_DURATIONS = 3;
const STALL_MIN_MS = 10_000;
/** Media ahead of the playhead under which the buffer counts as exhausted, seconds. */
const EXHAUSTED_SECONDS = 0.5;
const CHECK_MS = 1000;

export interface LivePlaylistView {
  live: boolean;
  /** The playlist's last media sequence number. */
  endSN: number;
  targetDuration: number;
}

/** How long a live playlist may stand still, with nothing left to play, before the stream counts as stopped, ms. */
export function stallAfterMs(targetDuration: number): number {
  return Math.max(STALL_TARGET_DURATIONS * Math.max(0, targetDuration) * 1000, STALL_MIN_MS);
}

/**
 * Whether a live stream has stopped without #EXT-X-ENDLIST (its encoder died): its playlist stopped advancing and
 * playback ran out of media. Decisions only, fed with playlist updates and buffer readings; reported once per source.
 */
export class LiveStallWatch {
  private live = false;
  private endSN: number | undefined;
  private targetDuration = 0;
  private advancedAt = 0;
  private stalled = false;
  private reported = false;

  /** A media playlist was loaded (or reloaded). */
  playlist(view: LivePlaylistView, now: number): void {
    this.live = view.live;
    if (!view.live) return void (this.stalled = false);
    this.targetDuration = view.targetDuration;
    if (view.endSN !== this.endSN) {
      this.endSN = view.endSN;
      this.advancedAt = now;
      this.stalled = false;
    }
  }

  /** Loading starts again after a stall (the viewer pressed play or seeked): the playlist gets a new allowance. */
  resumed(now: number): void {
    this.advancedAt = now;
    this.stalled = false;
  }

  /** Whether loading is stopped for a stall now. */
  get stopped(): boolean {
    return this.stalled;
  }

  /**
   * Whether the stream has just been found stopped: loading should stop, and, the first time for this source,
   * the viewer be told (`report`); `stillMs`, how long the playlist has stood still. Undefined while it plays, and
   * while it is already stopped.
   */
  check(now: number, bufferAheadSeconds: number): { report: boolean; stillMs: number } | undefined {
    if (!this.live || this.stalled || this.endSN === undefined) return undefined;
    if (bufferAheadSeconds > EXHAUSTED_SECONDS) return undefined;
    const stillMs = now - this.advancedAt;
    if (stillMs < stallAfterMs(this.targetDuration)) return undefined;
    this.stalled = true;
    const report = !this.reported;
    this.reported = true;
    return { report, stillMs };
  }
}

/** The parts of hls.js the monitor uses. */
export type LiveStallHls = Pick<Hls, 'on' | 'off' | 'stopLoad' | 'startLoad'>;

/** The parts of the media element the monitor uses. */
export interface LiveStallMedia {
  readonly currentTime: number;
  readonly buffered: TimeRanges;
  pause(): void;
  addEventListener(type: 'play' | 'seeking', listener: () => void): void;
  removeEventListener(type: 'play' | 'seeking', listener: () => void): void;
}

/**
 * Ends a stopped live stream cleanly: one `ERR_LIVE_STALLED` warning per source, loading stopped (no stream of
 * retries and errors) and playback paused at the last frame; play or a seek starts loading again.
 */
export class LiveStallMonitor {
  private readonly hls: LiveStallHls;
  private readonly media: LiveStallMedia;
  private readonly warn: (error: P2PError) => void;
  private readonly now: () => number;
  private readonly watch = new LiveStallWatch();
  private timer: ReturnType<typeof setInterval> | undefined;
  private destroyed = false;

  constructor(hls: LiveStallHls, media: LiveStallMedia, warn: (error: P2PError) => void, now: () => number = () => performance.now()) {
    this.hls = hls;
    this.media = media;
    this.warn = warn;
    this.now = now;
    hls.on(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    media.addEventListener('play', this.onResume);
    media.addEventListener('seeking', this.onResume);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.hls.off(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    this.media.removeEventListener('play', this.onResume);
    this.media.removeEventListener('seeking', this.onResume);
  }

  private readonly onLevelUpdated = (_event: string, data: LevelUpdatedData): void => {
    const { live, endSN, targetduration } = data.details;
    this.watch.playlist({ live, endSN, targetDuration: targetduration }, this.now());
    if (live && this.timer === undefined) this.timer = setInterval(this.check, CHECK_MS);
    else if (!live && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };

  private readonly check = (): void => {
    const media = this.media;
    const verdict = this.watch.check(this.now(), bufferAhead(media.buffered, media.currentTime));
    if (!verdict) return;
    if (verdict.report) {
      const seconds = Math.round(verdict.stillMs / 1000);
      const message = `The live stream stopped advancing: its playlist has not changed for ${seconds} s and playback reached its end.`;
      this.warn(new P2PError(ErrorCodes.LIVE_STALLED, message, false));
    }
    this.hls.stopLoad();
    media.pause();
  };

  private readonly onResume = (): void => {
    if (!this.watch.stopped) return;
    this.watch.resumed(this.now());
    this.hls.startLoad(this.media.currentTime);
  };
}

/** Seconds of media buffered from the playhead on. */
export function bufferAhead(buffered: TimeRanges, currentTime: number): number {
  for (let i = 0; i < buffered.length; i += 1) {
    if (buffered.start(i) <= currentTime + 0.1 && buffered.end(i) > currentTime) return buffered.end(i) - currentTime;
  }
  return 0;
}
