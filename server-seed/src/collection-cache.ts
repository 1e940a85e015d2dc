import { scanCollection } from './collection.ts';
import type { Collection, ScanOptions } from './collection.ts';

export interface CollectionCacheOptions {
  logger?: (line: string) => void;
  /** A listing younger than this is served as is. */
  maxAgeMs?: number;
  now?: () => number;
  scan?: (root: string, options: ScanOptions) => Promise<Collection>;
}

export interface CollectionCache {
  get(): Promise<Collection>;
}

/**
 * Serves the collection listing without rescanning a large directory per request: at most one scan every
 * `maxAgeMs`, shared by concurrent requests. Each distinct warning is logged once, not once per rescan.
 */
export function createCollectionCache(root: string, options: CollectionCacheOptions = {}): CollectionCache {
  const { maxAgeMs = 2000, now = Date.now, scan = scanCollection } = options;
  const log = options.logger ?? (() => {});
  const logged = new Set<string>();
  const logOnce = (line: string): void => {
    if (logged.has(line)) return;
    logged.add(line);
    log(line);
  };

  let listing: Collection | undefined;
  let scannedAt = 0;
  let pending: Promise<Collection> | undefined;

  return {
    get() {
      if (listing && now() - scannedAt < maxAgeMs) return Promise.resolve(listing);
      pending ??= scan(root, { logger: logOnce })
        .then((result) => {
          listing = result;
          scannedAt = now();
          return result;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}
