import videojs from 'video.js/core.es.js';
import { PluginNames } from '../../player/src/index.ts';
import { RatioOverlay } from './ratio-overlay.ts';

export { RatioOverlay } from './ratio-overlay.ts';
export { rateSeries, type RateBar, type RateSeries } from './rate-series.ts';

/** Registers the overlay with video.js as `p2pRatioOverlay` (once; the element starts it on every player). */
export function registerRatioOverlay(): void {
  if (!videojs.getPlugin(PluginNames.RATIO_OVERLAY)) videojs.registerPlugin(PluginNames.RATIO_OVERLAY, RatioOverlay);
}
