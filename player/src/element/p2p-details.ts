import type Hls from 'hls.js';
import type { EngineDetails, PeerDetails, SwarmDetails } from '../engine/details.ts';
import type { P2PStats } from '../engine/stats.ts';
import type { TrafficSample } from './traffic-history.ts';

/**
 * Everything the element can tell about where the current source's bytes come from, as plain objects: what the
 * overlay and the stats panel show (`el.p2pDetails()`). Fresh on every call; nothing in it reaches the engine.
 */
export interface P2PDetails {
  /** `off`: no peers for this source (`p2p="off"`, a progressive file, no source); else the `p2p` mode in effect. */
  mode: 'off' | 'on' | 'download-only';
  /** As `el.stats`. */
  stats: P2PStats;
  /** The stream's swarm id, once known (undefined with P2P off or without a tracker). */
  swarmId: string | undefined;
  /** This viewer's peer id, hex, while P2P is on. */
  peerId: string | undefined;
  /** The rendition swarms joined, each with its trackers' status. */
  swarms: SwarmDetails[];
  /** Connected peers, one row per peer and rendition swarm. */
  peers: PeerDetails[];
  /** The rendition playing (undefined until known). */
  rendition: RenditionDetails | undefined;
  /** Seconds of media buffered ahead of the playhead. */
  bufferAhead: number;
  /** Segment bytes per second by source over the last three minutes, oldest first, one entry per second. */
  history: TrafficSample[];
}

export interface RenditionDetails {
  width?: number;
  height?: number;
  /** Bits per second the playlist announces for it. */
  bitrate?: number;
}

/** What the details are made of: the element's counters, and the current source's parts while it has them. */
export interface DetailsParts {
  stats: P2PStats;
  history: TrafficSample[];
  mode: 'on' | 'download-only';
  engine?: { details(): EngineDetails };
  hls?: Hls;
  media?: HTMLMediaElement;
}

export function collectDetails(parts: DetailsParts): P2PDetails {
  const engine = parts.engine?.details();
  return {
    mode: engine ? parts.mode : 'off',
    stats: parts.stats,
    swarmId: engine?.swarmId,
    peerId: engine?.peerId,
    swarms: engine?.swarms ?? [],
    peers: engine?.peers ?? [],
    rendition: renditionOf(parts.hls, parts.media),
    bufferAhead: parts.media ? bufferAhead(parts.media) : 0,
    history: parts.history,
  };
}

function renditionOf(hls: Hls | undefined, media: HTMLMediaElement | undefined): RenditionDetails | undefined {
  const level = hls?.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel];
  if (level) return { width: level.width || undefined, height: level.height || undefined, bitrate: level.bitrate || undefined };
  // Native playback (a progressive file, or HLS without MSE): only the picture size is known.
  const video = media as HTMLVideoElement | undefined;
  return video?.videoHeight ? { width: video.videoWidth, height: video.videoHeight } : undefined;
}

/** Seconds buffered contiguously from the playhead (a small gap before the next range counts as none). */
export function bufferAhead(media: Pick<HTMLMediaElement, 'buffered' | 'currentTime'>): number {
  const at = media.currentTime;
  const ranges = media.buffered;
  for (let i = 0; i < ranges.length; i += 1) {
    if (ranges.start(i) - 0.1 <= at && at <= ranges.end(i)) return Math.max(0, ranges.end(i) - at);
  }
  return 0;
}
