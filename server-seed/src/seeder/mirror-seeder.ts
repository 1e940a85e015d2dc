import { homedir } from 'node:os';
import path from 'node:path';
import { LiveMirror } from '../live/live-mirror.ts';
import { MirrorCache, MirrorError, mirrorStream, loadStreamHead, type StreamHead } from './mirror.ts';
import { Seeder, type SeederOptions, type SeederStats } from './seeder.ts';

export interface MirrorOptions {
  /** Multivariant playlists on other origins. Live ones (no EXT-X-ENDLIST) are followed as they grow. */
  urls: string[];
  /** Mirror only live streams: a URL of an on-demand stream is refused (`--live --mirror URL`). */
  liveOnly?: boolean;
  /** Default: $XDG_CACHE_HOME/p2p-seed/mirror, else ~/.cache/p2p-seed/mirror. */
  cacheDir?: string;
  /** Default 2 GB. */
  cacheBytes?: number;
  iceServers?: RTCIceServer[];
  limits?: Pick<SeederOptions, 'maxPeers' | 'uploadLimit' | 'uploadBudget' | 'peerUploadLimit'>;
  logger?: (line: string) => void;
}

export interface MirrorStats extends SeederStats {
  /** Streams being mirrored (those that loaded). */
  streams: string[];
  cache: { dir: string; bytes: number; maxBytes: number; fetchedBytes: number; rejectedSegments: number };
  /** Live streams followed: segments held in memory now, bytes fetched from their origins, segments refused. */
  live: { streams: number; segments: number; fetchedBytes: number; rejectedSegments: number };
}

export interface RunningMirror {
  readonly stats: MirrorStats;
  close(): Promise<void>;
}

export const DEFAULT_MIRROR_CACHE_BYTES = 2_000_000_000;

export function defaultMirrorCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'p2p-seed', 'mirror');
}

/**
 * Seeds streams hosted elsewhere. On demand: each segment is fetched from its origin the first time a viewer asks
 * for it, checked against the origin's hash manifest, kept in a disk cache and served to the swarm. Live: each new
 * segment is fetched as soon as the origin lists it and publishes its hash (see LiveMirror). A stream that cannot
 * be mirrored is reported and skipped; it fails only when none can.
 */
export async function startMirror(options: MirrorOptions): Promise<RunningMirror> {
  const log = options.logger ?? (() => {});
  const cache = new MirrorCache(options.cacheDir ?? defaultMirrorCacheDir(), options.cacheBytes ?? DEFAULT_MIRROR_CACHE_BYTES, log);
  const seeder = new Seeder({ ...options.limits, iceServers: options.iceServers, logger: log });
  const streams: string[] = [];
  const lives: LiveMirror[] = [];
  const loaded = await Promise.allSettled(options.urls.map((url) => loadStreamHead(url)));
  for (const [i, result] of loaded.entries()) {
    try {
      if (result.status === 'rejected') throw result.reason;
      const head: StreamHead = result.value;
      if (head.live) {
        const live = new LiveMirror(head, { logger: log });
        await live.start();
        for (const rendition of live.renditions) seeder.addLive(rendition, head.url, head.trackers);
        lives.push(live);
        log(`p2p-seed: mirroring the live stream ${head.url}: ${live.renditions.length} rendition(s), tracker ${head.trackers.join(' ')}`);
      } else {
        if (options.liveOnly) throw new MirrorError('not a live stream (its playlists end with EXT-X-ENDLIST); mirror it without --live');
        seeder.addMirror(mirrorStream(head), cache);
      }
      streams.push(head.url);
    } catch (error) {
      log(`p2p-seed: mirror: skipping ${options.urls[i]}: ${(error as Error).message}`);
    }
  }
  if (streams.length === 0) {
    seeder.destroy();
    throw new Error(`none of the ${options.urls.length} stream(s) to mirror could be loaded`);
  }
  return {
    get stats(): MirrorStats {
      return {
        ...seeder.stats,
        streams,
        cache: { dir: cache.dir, bytes: cache.size, maxBytes: cache.maxBytes, fetchedBytes: cache.fetchedBytes, rejectedSegments: cache.rejected },
        live: {
          streams: lives.length,
          segments: lives.reduce((n, l) => n + l.renditions.reduce((m, r) => m + r.held().length, 0), 0),
          fetchedBytes: lives.reduce((n, l) => n + l.fetchedBytes, 0),
          rejectedSegments: lives.reduce((n, l) => n + l.rejected, 0),
        },
      };
    },
    async close() {
      for (const live of lives) live.close();
      seeder.destroy();
    },
  };
}
