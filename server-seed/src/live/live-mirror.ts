import { createHash } from 'node:crypto';
import type { HashManifest } from '../../../player/src/engine/hash-manifest.ts';
import { manifestKey } from '../../../player/src/engine/hash-manifest.ts';
import {
  fetchBytes,
  fetchText,
  loadHashManifest,
  loadSwarmMetadata,
  playlistSegments,
  type StreamHead,
} from '../seeder/mirror.ts';
import { parseM3u8 } from '../playlist.ts';
import { swarmInfoHash } from '../swarm-metadata.ts';
import { HeldLiveSource } from './held-segments.ts';

export interface LiveMirrorOptions {
  /** How often each media playlist is read again, ms (default: half its target duration, 250 ms to 4 s). */
  pollMs?: number;
  logger?: (line: string) => void;
}

/** A segment that failed this many times (HTTP errors, wrong bytes) is left to the origin. */
const MAX_ATTEMPTS = 3;

/**
 * A live stream of another origin, followed as it grows: every rendition's media playlist is read about twice per
 * target duration; each new segment is fetched once, checked against the origin's sliding hash manifest (read
 * again when a listed segment has no hash yet), held in memory while in the window and offered to the origin's
 * swarm on its trackers. When the origin's stream starts again (numbering goes back), the swarm id is read again
 * and the renditions follow the new swarm.
 */
export class LiveMirror {
  readonly url: string;
  readonly trackers: string[];
  readonly renditions: LiveMirrorRendition[];
  fetchedBytes = 0;
  rejected = 0;
  private swarm: string;
  private readonly swarmUrl: string;
  private readonly hashesUrl: string;
  private hashes: HashManifest;
  private hashesLoading: Promise<void> | undefined;
  private readonly log: (line: string) => void;
  private readonly warned = new Set<string>();
  closed = false;

  constructor(head: StreamHead, options: LiveMirrorOptions = {}) {
    this.url = head.url;
    this.trackers = head.trackers;
    this.swarm = head.swarmId;
    this.swarmUrl = head.swarmUrl;
    this.hashesUrl = head.hashesUrl;
    this.hashes = head.hashes;
    this.log = options.logger ?? (() => {});
    this.renditions = head.renditions.map((r) => new LiveMirrorRendition(this, r.key, r.url, options.pollMs));
  }

  get swarmId(): string {
    return this.swarm;
  }

  /** Starts following every rendition; resolves after the first read of each. */
  async start(): Promise<void> {
    await Promise.all(this.renditions.map((r) => r.start()));
  }

  close(): void {
    this.closed = true;
    for (const rendition of this.renditions) rendition.close();
  }

  /** The digest the origin published for a segment, as of the last read of its hash manifest. */
  digest(url: string, range: { offset: number; length: number } | undefined): string | undefined {
    return this.hashes.get(manifestKey(url, range));
  }

  /** The origin's stream started again: forget its old hashes and read its swarm id again. */
  async restarted(): Promise<void> {
    this.hashes = new Map();
    try {
      const { swarmId } = await loadSwarmMetadata(this.swarmUrl);
      if (swarmId === this.swarm) return;
      this.swarm = swarmId;
      this.log(`p2p-seed: live mirror ${this.url}: the stream started again: swarm ${swarmId}`);
      for (const rendition of this.renditions) rendition.swarmChanged();
    } catch (error) {
      this.warnOnce('swarm', `p2p-seed: live mirror ${this.url}: ${(error as Error).message}`);
    }
  }

  warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log(line);
  }

  say(line: string): void {
    this.log(line);
  }

  /** A warning is worth giving again once what it was about has recovered. */
  recovered(key: string): void {
    this.warned.delete(key);
  }

  /** Reads the hash manifest again (renditions asking at once share one read). */
  refreshHashes(): Promise<void> {
    this.hashesLoading ??= loadHashManifest(this.hashesUrl)
      .then((hashes) => {
        this.hashes = hashes;
        this.recovered('hashes');
      })
      .catch((error: unknown) => this.warnOnce('hashes', `p2p-seed: live mirror ${this.url}: ${(error as Error).message}`))
      .finally(() => {
        this.hashesLoading = undefined;
      });
    return this.hashesLoading;
  }
}

/** One rendition of a mirrored live stream, as the seeder's swarm sees it. */
export class LiveMirrorRendition extends HeldLiveSource {
  readonly key: string;
  private readonly mirror: LiveMirror;
  private readonly mediaUrl: string;
  private readonly pollMs: number | undefined;
  private readonly attempts = new Map<number, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private targetDuration = 0;

  constructor(mirror: LiveMirror, key: string, mediaUrl: string, pollMs: number | undefined) {
    super();
    this.mirror = mirror;
    this.key = key;
    this.mediaUrl = mediaUrl;
    this.pollMs = pollMs;
  }

  get infoHash(): string {
    return swarmInfoHash(this.mirror.swarmId, this.key);
  }

  async start(): Promise<void> {
    await this.poll();
  }

  close(): void {
    clearTimeout(this.timer);
    this.dropListeners();
  }

  /** Reads the media playlist once, fetches what is new, then schedules the next read. */
  async poll(): Promise<void> {
    clearTimeout(this.timer);
    try {
      await this.read();
    } catch (error) {
      this.mirror.warnOnce(`read ${this.key}`, `p2p-seed: live mirror ${this.mirror.url}: ${(error as Error).message}`);
    }
    if (this.mirror.closed || this.ended) return;
    const every = this.pollMs ?? Math.min(4000, Math.max(250, this.targetDuration * 500 || 1000));
    this.timer = setTimeout(() => void this.poll(), every);
    this.timer.unref?.();
  }

  private async read(): Promise<void> {
    const text = await fetchText(this.mediaUrl, 'playlist');
    this.mirror.recovered(`read ${this.key}`);
    const playlist = parseM3u8(text);
    if (!text.trimStart().startsWith('#EXTM3U') || !playlist.segments) return;
    const listed = playlistSegments(playlist, this.mediaUrl);
    if (this.segments.restarted(listed)) {
      this.segments.slide(Infinity);
      this.attempts.clear();
      await this.mirror.restarted();
    }
    this.targetDuration = playlist.targetDuration ?? this.targetDuration;
    // The manifest is read again at most once per read of the playlist, when it lacks a listed segment.
    let refreshed = false;
    for (const { sn, uri, url, range } of listed) {
      if (this.mirror.closed) return;
      if (this.segments.has(sn) || (this.attempts.get(sn) ?? 0) >= MAX_ATTEMPTS) continue;
      let sha256 = this.mirror.digest(url, range);
      if (!sha256 && !refreshed) {
        refreshed = true;
        await this.mirror.refreshHashes();
        sha256 = this.mirror.digest(url, range);
      }
      // Not published yet: tried again at the next read (viewers wait for it, or fetch it from the origin).
      if (!sha256) continue;
      const bytes = await this.fetch(sn, url, range, sha256);
      if (bytes) this.segments.add(sn, { uri, bytes, sha256 });
    }
    const first = listed[0]?.sn ?? 0;
    this.segments.slide(first);
    for (const sn of this.attempts.keys()) if (sn < first) this.attempts.delete(sn);
    if (playlist.endList) {
      this.ended = true;
      this.mirror.warnOnce(`end ${this.key}`, `p2p-seed: live mirror ${this.mirror.url}: the stream ended (EXT-X-ENDLIST)`);
    }
  }

  private async fetch(sn: number, url: string, range: { offset: number; length: number } | undefined, sha256: string): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes({ url, range, sha256 });
    } catch (error) {
      this.failed(sn, `cannot fetch ${url}: ${(error as Error).message}`);
      return undefined;
    }
    this.mirror.fetchedBytes += bytes.byteLength;
    if (createHash('sha256').update(bytes).digest('hex') === sha256) return bytes;
    this.mirror.rejected += 1;
    // The origin sent other bytes than it published: never offered, and not asked again.
    this.attempts.set(sn, MAX_ATTEMPTS);
    this.mirror.say(`p2p-seed: live mirror: ${url} does not match its published hash; not served`);
    return undefined;
  }

  private failed(sn: number, why: string): void {
    const attempts = (this.attempts.get(sn) ?? 0) + 1;
    this.attempts.set(sn, attempts);
    if (attempts === MAX_ATTEMPTS) this.mirror.say(`p2p-seed: live mirror ${this.mirror.url}: ${why}; left to the origin`);
  }
}
