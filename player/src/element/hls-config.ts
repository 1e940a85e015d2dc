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
}

export function createHlsConfig(options: HlsConfigOptions = {}): Partial<HlsConfig> {
  return {
    debug: options.debug ?? false,
    ...(options.fLoader ? { fLoader: options.fLoader } : {}),
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
