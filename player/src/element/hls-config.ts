import type { FragmentLoaderContext, HlsConfig, Loader } from 'hls.js';

/**
 * The one place the element's hls.js configuration comes from. The P2P issue swaps the fragment loader here
 * (`fLoader`) without touching the element.
 */
export interface HlsConfigOptions {
  /** hls.js debug logging; silent by default. */
  debug?: boolean;
  /** The P2P fragment loader; without it fragments load over HTTP with hls.js' own loader. */
  fLoader?: new (config: HlsConfig) => Loader<FragmentLoaderContext>;
  /** Live streams: target durations played behind hls.js' own distance from the live edge (see liveHoldBack). */
  liveHoldBack?: number;
}

/** hls.js' own distance from the live edge, in target durations (its default liveSyncDurationCount). */
const HLS_LIVE_SYNC_COUNT = 3;
const MAX_HOLD_BACK = 3;

/**
 * The `live-hold-back` attribute as target durations: 0..3, default 2 with peers (viewers a little further from
 * the edge give the swarm time to pass each new segment around before they need it) and 0 without.
 */
export function liveHoldBack(value: number | string | null | undefined, p2p: boolean): number {
  const n = typeof value === 'string' ? (value.trim() === '' ? Number.NaN : Number(value)) : (value ?? Number.NaN);
  if (!Number.isFinite(n)) return p2p ? 2 : 0;
  return Math.min(MAX_HOLD_BACK, Math.max(0, Math.round(n)));
}

export function createHlsConfig(options: HlsConfigOptions = {}): Partial<HlsConfig> {
  return {
    debug: options.debug ?? false,
    ...(options.fLoader ? { fLoader: options.fLoader } : {}),
    ...liveConfig(options.liveHoldBack ?? 0),
    // The element owns retries and recovery decisions; keep hls.js' own retry budget short so a dead origin is
    // reported within seconds rather than after minutes of silent retrying.
    manifestLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 20_000,
        timeoutRetry: { maxNumRetry: 1, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: { maxNumRetry: 1, retryDelayMs: 1000, maxRetryDelayMs: 4000 },
      },
    },
    // A segment that fails to load or parse is retried a few times over a few seconds, not hls.js' default
    // half minute: a viewer would rather see a clear error (or, with peers, another source) than a frozen frame.
    fragLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 120_000,
        timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: { maxNumRetry: 3, retryDelayMs: 500, maxRetryDelayMs: 4000 },
      },
    },
  };
}

// Live (sliding-window playlists): where playback sits behind the edge, and a duration of Infinity so video.js
// shows its live UI. No maximum latency: a viewer who pauses or seeks back in the DVR window stays where it is.
function liveConfig(holdBack: number): Pick<HlsConfig, 'liveSyncDurationCount' | 'liveDurationInfinity'> {
  const liveSyncDurationCount = HLS_LIVE_SYNC_COUNT + Math.min(MAX_HOLD_BACK, Math.max(0, holdBack));
  return { liveSyncDurationCount, liveDurationInfinity: true };
}
