import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Collection, Title } from '../collection.ts';
import { hashFile } from './file-hash.ts';
import { TorrentCache, type FileVersion } from './torrent-cache.ts';
import { torrentInfo, type TorrentInfo } from './torrent-info.ts';

/** One progressive file of the collection, hashed: its torrent and its SHA-256. */
export interface TorrentEntry extends TorrentInfo {
  /** The title id: the file's path relative to the collection ("films/a.mp4"). */
  id: string;
  /** The title's src: the file's URL path ("/films/a.mp4"). */
  src: string;
  /** Absolute path on disk. */
  file: string;
  version: FileVersion;
  sha256: Buffer;
}

export interface TorrentIndexListener {
  /** A file was hashed (or its hashes read from the cache). */
  add(entry: TorrentEntry): void;
  /** A file changed or left the collection: its torrent is no longer served. */
  remove(entry: TorrentEntry): void;
}

export interface TorrentIndexOptions {
  /** The collection directory. */
  root: string;
  /** Where hashes are kept across restarts; default `<root>/.p2p-seed/torrents`. */
  cacheDir?: string;
  logger?: (line: string) => void;
  /** Replaces the hashing (tests count the files read). */
  hash?: typeof hashFile;
}

/**
 * The torrents of the collection's progressive titles (MP4/WebM files that are not HLS). Files are hashed one at a
 * time in the background, in read-sized steps so requests go on meanwhile, and kept in a cache keyed by path, size
 * and mtime; until a file's hashes are known, it has no torrent (and is served as a plain file).
 */
export class TorrentIndex {
  private readonly root: string;
  private readonly cache: TorrentCache;
  private readonly hash: typeof hashFile;
  private readonly log: (line: string) => void;
  /** Progressive titles of the latest listing, by id. */
  private titles = new Map<string, Title>();
  private readonly entries = new Map<string, TorrentEntry>();
  private readonly byHash = new Map<string, TorrentEntry>();
  private readonly queue = new Set<string>();
  private readonly listeners = new Set<TorrentIndexListener>();
  private readonly failed = new Set<string>();
  private readonly abort = new AbortController();
  private seen: Collection | undefined;
  private working: Promise<void> | undefined;
  private pruned = false;
  private changes = 0;

  constructor(options: TorrentIndexOptions) {
    this.root = path.resolve(options.root);
    this.log = options.logger ?? (() => {});
    this.cache = new TorrentCache(options.cacheDir ?? path.join(this.root, '.p2p-seed', 'torrents'), this.log);
    this.hash = options.hash ?? hashFile;
  }

  /** Bumped whenever an entry is added or removed (listings that show torrents are rebuilt on a change). */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The torrent of the progressive title `id`, when hashed. */
  get(id: string): TorrentEntry | undefined {
    return this.entries.get(id);
  }

  byInfoHash(infoHash: string): TorrentEntry | undefined {
    return this.byHash.get(infoHash);
  }

  /** Whether `id` is a non-empty progressive title of the latest listing (hashed or not yet). */
  isProgressive(id: string): boolean {
    return this.titles.has(id);
  }

  all(): TorrentEntry[] {
    return [...this.entries.values()];
  }

  /** Calls `listener.add` for every entry known now and each one to come; returns the unsubscribe function. */
  subscribe(listener: TorrentIndexListener): () => void {
    this.listeners.add(listener);
    for (const entry of this.entries.values()) listener.add(entry);
    return () => this.listeners.delete(listener);
  }

  /** Learns a listing: hashes new progressive files and files whose size changed, forgets those that left. Cheap for the same listing twice. */
  update(collection: Collection): void {
    if (collection === this.seen || this.abort.signal.aborted) return;
    this.seen = collection;
    const titles = new Map<string, Title>();
    // An empty file has no pieces, so no torrent.
    for (const title of collection.titles) if (title.type === 'progressive' && title.bytes > 0) titles.set(title.id, title);
    this.titles = titles;
    for (const [id, entry] of this.entries) {
      const title = titles.get(id);
      if (!title || title.bytes !== entry.size) this.drop(entry);
    }
    for (const id of titles.keys()) if (!this.entries.has(id)) this.queue.add(id);
    this.kick();
  }

  /**
   * Checks that the file behind `id`'s torrent is still the version that was hashed (one stat); if not, forgets the
   * torrent and hashes the file again. Returns the entry only when it is still true.
   */
  async current(id: string): Promise<TorrentEntry | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const info = await stat(entry.file).catch(() => null);
    if (info && info.size === entry.version.size && info.mtimeMs === entry.version.mtimeMs) return entry;
    if (this.entries.get(id) === entry) {
      this.drop(entry);
      if (info && this.titles.has(id)) {
        this.queue.add(id);
        this.kick();
      }
    }
    return undefined;
  }

  /** Resolves once every file known so far is hashed (or has failed). */
  async idle(): Promise<void> {
    while (this.working) await this.working;
  }

  /** Stops hashing. Safe to call twice. */
  async destroy(): Promise<void> {
    this.abort.abort();
    this.queue.clear();
    await this.working?.catch(() => {});
    this.listeners.clear();
  }

  private kick(): void {
    if (this.working || this.queue.size === 0) return;
    this.working = this.work().finally(() => {
      this.working = undefined;
      // A file queued in the last moment (a rescan, a changed file) is not left waiting.
      this.kick();
    });
  }

  private async work(): Promise<void> {
    let hashed = 0;
    let bytes = 0;
    const started = performance.now();
    for (const id of this.queue) {
      this.queue.delete(id);
      if (this.abort.signal.aborted) return;
      const title = this.titles.get(id);
      if (!title || this.entries.has(id)) continue;
      const outcome = await this.load(title);
      if (outcome === 'hashed') {
        hashed += 1;
        bytes += this.entries.get(id)?.size ?? 0;
      }
    }
    if (hashed > 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.log(`p2p-seed: hashed ${hashed} progressive file(s) for their torrents (${(bytes / 1e6).toFixed(1)} MB in ${seconds} s)`);
    }
    if (!this.pruned && !this.abort.signal.aborted) {
      // Once, after the first full pass: entries of files changed or gone since the last run go.
      this.pruned = true;
      await this.cache.prune([...this.entries.values()].map((entry) => entry.version));
    }
  }

  private async load(title: Title): Promise<'cached' | 'hashed' | 'failed'> {
    const file = path.join(this.root, ...title.id.split('/'));
    let version: FileVersion;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      if (info.size === 0) return 'failed';
      version = { path: title.id, size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      this.warnOnce(title.id, `cannot read ${title.id} for its torrent: ${(error as Error).message}`);
      return 'failed';
    }
    const name = path.basename(file);
    let hashes = await this.cache.read(version);
    const outcome = hashes ? 'cached' : 'hashed';
    if (!hashes) {
      try {
        hashes = await this.hash(file, version.size, undefined, this.abort.signal);
      } catch (error) {
        if (!this.abort.signal.aborted) this.warnOnce(`${title.id}\0${version.mtimeMs}`, `cannot hash ${title.id} for its torrent: ${(error as Error).message}`);
        return 'failed';
      }
      // Still the same file? One rewritten while it was read is hashed again on the next look.
      const after = await stat(file).catch(() => null);
      if (!after || after.size !== version.size || after.mtimeMs !== version.mtimeMs) return 'failed';
      await this.cache.write(version, name, hashes);
    }
    // A listing since then may have dropped the title or seen it change size.
    if (this.abort.signal.aborted || this.titles.get(title.id)?.bytes !== version.size) return 'failed';
    const entry: TorrentEntry = { ...torrentInfo(name, hashes), id: title.id, src: title.src, file, version, sha256: hashes.sha256 };
    this.entries.set(entry.id, entry);
    this.byHash.set(entry.infoHash, entry);
    this.changes += 1;
    for (const listener of this.listeners) listener.add(entry);
    return outcome;
  }

  private drop(entry: TorrentEntry): void {
    this.entries.delete(entry.id);
    if (this.byHash.get(entry.infoHash) === entry) this.byHash.delete(entry.infoHash);
    this.changes += 1;
    for (const listener of this.listeners) listener.remove(entry);
  }

  private warnOnce(key: string, message: string): void {
    if (this.failed.has(key)) return;
    this.failed.add(key);
    this.log(`p2p-seed: warning: ${message}`);
  }
}
