import videojs from 'video.js/core.es.js';
import { PluginNames } from '../../player/src/index.ts';
import { StatsPanel } from './stats-panel.ts';

export { StatsPanel } from './stats-panel.ts';

/** Registers the panel with video.js as `p2pStatsPanel` (once; the element starts it on every player). */
export function registerStatsPanel(): void {
  if (!videojs.getPlugin(PluginNames.STATS_PANEL)) videojs.registerPlugin(PluginNames.STATS_PANEL, StatsPanel);
}
