import { manifestKey, type HashManifest } from './hash-manifest.ts';
import { sha256Hex, type RefreshReason, type SegmentVerifier, type Verdict, type VerifiedSegment } from './integrity.ts';

export interface ManifestVerifierOptions {
  /** Fetches and parses the site's hash manifest; `fresh` for a refresh, which must bypass every cache. */
  load(fresh: boolean): Promise<HashManifest>;
  now?: () => number;
  /** Hashes kept across refreshes, oldest dropped first; never fewer than the latest manifest lists. Default 2000. */
  maxEntries?: number;
}

/** The usual pace of refreshes, ms. */
const REFRESH_INTERVAL_MS = 1000;
/** The pace while a segment's hash is awaited: sooner, but never a request loop. */
const MISSING_INTERVAL_MS = 250;
const DEFAULT_MAX_ENTRIES = 2000;

/**
 * The site's hash manifest as it loads and, for a live stream, grows and slides: refresh() fetches it again (one
 * request at a time, at most once a second unless a hash is awaited) and merges what is new. Hashes that left the
 * manifest stay known until the cap drops the oldest, so a segment still in a viewer's buffer can be checked.
 * Until the first load is in, every segment counts as checkable and a check waits for it; if that load fails,
 * nothing passes (the element leaves the swarm). A later refresh that fails keeps what is known.
 */
export class ManifestVerifier implements SegmentVerifier {
  private readonly options: ManifestVerifierOptions;
  private readonly now: () => number;
  private readonly maxEntries: number;
  /** Segment key → digest, oldest first (a Map keeps insertion order). */
  private readonly hashes = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private readonly first: Promise<boolean>;
  private state: 'loading' | 'loaded' | 'failed' = 'loading';
  private inflight: Promise<void> | undefined;
  private lastRequestAt: number;
  /** Refreshes that failed since the last that worked. */
  failedRefreshes = 0;

  constructor(options: ManifestVerifierOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.lastRequestAt = this.now();
    this.first = options.load(false).then(
      (manifest) => {
        this.state = 'loaded';
        this.merge(manifest);
        return true;
      },
      () => {
        this.state = 'failed';
        return false;
      },
    );
  }

  /** Settles once the first load is in (true) or has failed (false). */
  get ready(): Promise<boolean> {
    return this.first;
  }

  /** Hashes known now. */
  get size(): number {
    return this.hashes.size;
  }

  covers(segment: VerifiedSegment): boolean {
    if (this.state === 'loading') return true;
    return this.hashes.has(manifestKey(segment.url, segment.range));
  }

  async verify(segment: VerifiedSegment, bytes: Uint8Array): Promise<Verdict> {
    await this.first;
    const expected = this.hashes.get(manifestKey(segment.url, segment.range));
    if (!expected) return 'unknown';
    return (await sha256Hex(bytes)) === expected ? 'ok' : 'mismatch';
  }

  refresh(reason: RefreshReason = 'playlist'): Promise<void> {
    if (this.state === 'failed') return Promise.resolve();
    if (this.state === 'loading') return this.first.then(() => undefined);
    if (this.inflight) return this.inflight;
    const interval = reason === 'missing' ? MISSING_INTERVAL_MS : REFRESH_INTERVAL_MS;
    const now = this.now();
    if (now - this.lastRequestAt < interval) return Promise.resolve();
    this.lastRequestAt = now;
    const request = this.options.load(true).then(
      (manifest) => {
        this.failedRefreshes = 0;
        this.merge(manifest);
      },
      () => {
        // Retried at the next refresh; meanwhile the hashes already known still check segments.
        this.failedRefreshes += 1;
      },
    );
    this.inflight = request.finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  watch(onUpdate: () => void): () => void {
    this.listeners.add(onUpdate);
    return () => this.listeners.delete(onUpdate);
  }

  private merge(manifest: HashManifest): void {
    let changed = false;
    for (const [key, digest] of manifest) {
      if (this.hashes.get(key) === digest) continue;
      this.hashes.delete(key);
      this.hashes.set(key, digest);
      changed = true;
    }
    // Oldest first, and never one the site still publishes.
    const cap = Math.max(this.maxEntries, manifest.size);
    for (const key of this.hashes.keys()) {
      if (this.hashes.size <= cap) break;
      if (!manifest.has(key)) this.hashes.delete(key);
    }
    if (!changed) return;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the manifest is merged either way.
      }
    }
  }
}
