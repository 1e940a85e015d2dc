import type Player from 'video.js/dist/types/player';
import videojs from 'video.js/core.es.js';
import type { P2PDetails } from './p2p-details.ts';

/**
 * The names the bundled plugins (plugins/…) register under with video.js. The element starts them by name, so it
 * never imports them: plugins depend on the element's public API, not the other way round.
 */
export const PluginNames = {
  /** plugins/ratio-overlay: the peer/origin overlay, shown by the `overlay` attribute. */
  RATIO_OVERLAY: 'p2pRatioOverlay',
  /** plugins/stats-panel: per-peer figures ("stats for nerds"). */
  STATS_PANEL: 'p2pStatsPanel',
} as const;

/** The part of `<p2p-video>` a plugin reads: public API only. */
export interface P2PDetailsSource {
  p2pDetails(): P2PDetails;
  /** The `overlay` attribute (reflected), which the overlay follows and sets when the viewer toggles it. */
  overlay?: boolean;
}

/** What the element hands each of its plugins. */
export interface P2PPluginOptions {
  source: P2PDetailsSource;
  /** Start with the panel shown. */
  open?: boolean;
}

/** The part of an element plugin the element drives. */
interface ElementPlugin {
  setState(state: { open: boolean }): void;
}

type PluginMethods = Record<string, ((options?: P2PPluginOptions) => ElementPlugin) | undefined>;

/** Starts every element plugin registered with video.js on a new player (a build without them starts none). */
export function startPlugins(player: Player, source: P2PDetailsSource): void {
  for (const name of Object.values(PluginNames)) {
    const start = videojs.getPlugin(name) ? (player as unknown as PluginMethods)[name] : undefined;
    start?.call(player, { source, open: name === PluginNames.RATIO_OVERLAY && source.overlay === true });
  }
}

/** Shows or hides a started plugin's panel (the `overlay` attribute changed). */
export function setPluginOpen(player: Player, name: string, open: boolean): void {
  const instance = player.usingPlugin(name) ? (player as unknown as PluginMethods)[name] : undefined;
  instance?.call(player).setState({ open });
}
