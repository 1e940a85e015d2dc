import Hls, { type ErrorData, type HlsConfig, type LevelSwitchedData, type ManifestParsedData } from 'hls.js';
import { describeHlsError, P2PError } from './errors.ts';
import { LiveStallMonitor } from './live-stall.ts';

/** Where the session reports quality levels (the element maps this onto videojs-contrib-quality-levels). */
export interface QualityLevelSink {
  reset(): void;
  add(level: { id: string; width?: number; height?: number; bitrate: number; enabled: (value?: boolean) => boolean }): void;
  select(index: number): void;
}

export interface HlsSessionOptions {
  src: string;
  media: HTMLMediaElement;
  config: Partial<HlsConfig>;
  levels?: QualityLevelSink;
  /** Every error the viewer should hear about; `fatal` ones ended the session. */
  onError: (error: P2PError) => void;
}

/** Recoveries of media errors tried before the session gives up, reset whenever a segment is buffered again. */
const MAX_MEDIA_RECOVERIES = 2;

/** Media errors that rebuilding the MediaSource cannot fix: hls.js has already retried and switched levels. */
const UNRECOVERABLE = new Set(['fragParsingError', 'manifestIncompatibleCodecsError', 'bufferAddCodecError', 'bufferIncompatibleCodecsError']);

/**
 * One hls.js instance playing one source into one media element: created by the video.js source handler, destroyed
 * when video.js disposes the source (src change, player dispose). Owns error recovery and quality levels.
 */
export class HlsSession {
  readonly hls: Hls;
  private readonly options: HlsSessionOptions;
  private recoveries = 0;
  private destroyed = false;
  private readonly enabled = new Set<number>();
  private levelsPending = false;
  private readonly liveStall: LiveStallMonitor;

  constructor(options: HlsSessionOptions) {
    this.options = options;
    this.hls = new Hls(options.config);
    this.registerListeners();
    // A live stream whose encoder stopped: one warning, then no more loading (see live-stall.ts).
    this.liveStall = new LiveStallMonitor(this.hls, options.media, (error) => {
      if (!this.destroyed) options.onError(error);
    });
    this.hls.attachMedia(options.media);
    this.hls.loadSource(options.src);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.liveStall.destroy();
    this.unregisterListeners();
    this.hls.destroy();
    this.options.levels?.reset();
  }

  private registerListeners(): void {
    this.hls.on(Hls.Events.ERROR, this.onError);
    this.hls.on(Hls.Events.MANIFEST_PARSED, this.onManifestParsed);
    this.hls.on(Hls.Events.LEVEL_SWITCHED, this.onLevelSwitched);
    this.hls.on(Hls.Events.FRAG_BUFFERED, this.onFragBuffered);
  }

  private unregisterListeners(): void {
    this.hls.off(Hls.Events.ERROR, this.onError);
    this.hls.off(Hls.Events.MANIFEST_PARSED, this.onManifestParsed);
    this.hls.off(Hls.Events.LEVEL_SWITCHED, this.onLevelSwitched);
    this.hls.off(Hls.Events.FRAG_BUFFERED, this.onFragBuffered);
  }

  private readonly onError = (_event: string, data: ErrorData): void => {
    if (this.destroyed || !data.fatal) return;
    // A decode or append failure is often transient (a codec switch, a damaged segment): hls.js can rebuild its
    // MediaSource and carry on. Only when that keeps failing is the viewer told.
    if (data.type === 'mediaError' && !UNRECOVERABLE.has(data.details) && this.recoveries < MAX_MEDIA_RECOVERIES) {
      this.recoveries += 1;
      if (this.recoveries === 2) this.hls.swapAudioCodec();
      this.hls.recoverMediaError();
      return;
    }
    const error = describeHlsError(data);
    this.destroy();
    this.options.onError(error);
  };

  private readonly onFragBuffered = (): void => {
    this.recoveries = 0;
  };

  private readonly onManifestParsed = (_event: string, data: ManifestParsedData): void => {
    const sink = this.options.levels;
    if (!sink) return;
    sink.reset();
    this.enabled.clear();
    data.levels.forEach((level, index) => {
      this.enabled.add(index);
      sink.add({
        id: String(index),
        width: level.width || undefined,
        height: level.height || undefined,
        bitrate: level.bitrate,
        enabled: (value?: boolean) => {
          if (value !== undefined && value !== this.enabled.has(index)) {
            if (value) this.enabled.add(index);
            else this.enabled.delete(index);
            this.scheduleLevelUpdate();
          }
          return this.enabled.has(index);
        },
      });
    });
  };

  private readonly onLevelSwitched = (_event: string, data: LevelSwitchedData): void => {
    this.options.levels?.select(data.level);
  };

  // A quality menu toggles levels one at a time; apply the final set once.
  private scheduleLevelUpdate(): void {
    if (this.levelsPending) return;
    this.levelsPending = true;
    queueMicrotask(() => {
      this.levelsPending = false;
      if (!this.destroyed) this.applyEnabledLevels();
    });
  }

  private applyEnabledLevels(): void {
    const count = this.hls.levels.length;
    const enabled = [...this.enabled].sort((a, b) => a - b);
    if (enabled.length === 0 || enabled.length === count) {
      this.hls.autoLevelCapping = -1;
      this.hls.nextLevel = -1;
    } else if (enabled.length === 1) {
      this.hls.nextLevel = enabled[0];
    } else {
      // hls.js has no "allowed levels" set; cap automatic selection at the best enabled level.
      this.hls.nextLevel = -1;
      this.hls.autoLevelCapping = enabled[enabled.length - 1];
    }
  }
}
