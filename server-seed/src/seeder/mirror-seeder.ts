import { homedir } from 'node:os';
import path from 'node:path';
import { loadMirrorStream, MirrorCache } from './mirror.ts';
import { Seeder, type SeederOptions, type SeederStats } from './seeder.ts';

export interface MirrorOptions {
  /** Multivariant playlists on other origins. */
  urls: string[];
  /** Default: $XDG_CACHE_HOME/p2p-seed/mirror, else ~/.cache/p2p-seed/mirror. */
  cacheDir?: string;
  /** Default 2 GB. */
  cacheBytes?: number;
  iceServers?: RTCIceServer[];
  limits?: Pick<SeederOptions, 'maxPeers' | 'uploadLimit' | 'peerUploadLimit'>;
  logger?: (line: string) => void;
}

export interface MirrorStats extends SeederStats {
  /** Streams being mirrored (those that loaded). */
  streams: string[];
  cache: { dir: string; bytes: number; maxBytes: number; fetchedBytes: number; rejectedSegments: number };
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
 * Seeds streams hosted elsewhere: each segment is fetched from its origin the first time a viewer asks for it,
 * checked against the origin's hash manifest, kept in a disk cache and served to the swarm. A stream that cannot
 * be mirrored is reported and skipped; it fails only when none can.
 */
export async function startMirror(options: MirrorOptions): Promise<RunningMirror> {
  const log = options.logger ?? (() => {});
  const cache = new MirrorCache(options.cacheDir ?? defaultMirrorCacheDir(), options.cacheBytes ?? DEFAULT_MIRROR_CACHE_BYTES, log);
  const loaded = await Promise.allSettled(options.urls.map((url) => loadMirrorStream(url)));
  const streams = loaded.flatMap((result, i) => {
    if (result.status === 'fulfilled') return [result.value];
    log(`p2p-seed: mirror: skipping ${options.urls[i]}: ${(result.reason as Error).message}`);
    return [];
  });
  if (streams.length === 0) throw new Error(`none of the ${options.urls.length} stream(s) to mirror could be loaded`);
  const seeder = new Seeder({ ...options.limits, iceServers: options.iceServers, logger: log });
  for (const stream of streams) seeder.addMirror(stream, cache);
  return {
    get stats(): MirrorStats {
      return {
        ...seeder.stats,
        streams: streams.map((s) => s.url),
        cache: { dir: cache.dir, bytes: cache.size, maxBytes: cache.maxBytes, fetchedBytes: cache.fetchedBytes, rejectedSegments: cache.rejected },
      };
    },
    async close() {
      seeder.destroy();
    },
  };
}
