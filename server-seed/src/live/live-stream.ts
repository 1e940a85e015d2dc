import { createHash, randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Parser } from 'm3u8-parser';
import type { SwarmSegments } from '../../../player/src/engine/swarm.ts';
import { hashManifest, sha256Hex } from '../packager/hash-manifest.ts';
import { SWARM_DATA_ID } from '../swarm-metadata.ts';

export interface LiveStreamOptions {
  /** The folder an encoder writes a live HLS media playlist and its segments into. */
  dir: string;
  /** Its name in logs and URLs (`/live/<name>/`). */
  name: string;
  /** How often the playlist is read again besides file-change events, ms (default 250). */
  pollMs?: number;
  logger?: (line: string) => void;
}

/** A segment of the window: its bytes are held while the playlist lists it, so peers get exactly what was hashed. */
interface LiveSegment {
  uri: string;
  bytes: Uint8Array;
  sha256: string;
}

/** Segments kept after they leave the playlist, for viewers a little behind (hls.js plays up to 3 behind the edge). */
const KEEP_BEHIND = 3;
/** The wrapper playlist's BANDWIDTH before any segment is known (bits per second). */
const DEFAULT_BANDWIDTH = 1_000_000;

/**
 * A live HLS stream written by an encoder (ffmpeg's hls muxer, or any packager) into a folder, as p2p-seed serves and
 * seeds it: every segment is read and hashed the moment the media playlist lists it (an encoder lists a segment
 * only once it is complete), held in memory while it is in the window, published in a sliding hash manifest and
 * offered to the swarm; segments that leave the playlist leave the manifest and the swarm. Viewers load a wrapper
 * multivariant playlist that names the swarm metadata, so a plain encoder's output needs nothing added.
 *
 * An encoder that restarts numbers its segments from the start again, under the same names: the stream then takes a
 * new swarm id, so nobody mixes the old segments with the new (`onSwarm`).
 */
export class LiveStream implements SwarmSegments {
  readonly name: string;
  private readonly dir: string;
  private readonly pollMs: number;
  private readonly log: (line: string) => void;
  private readonly segments = new Map<number, LiveSegment>();
  private readonly listeners = new Set<{ added(sn: number): void; removed(sn: number): void }>();
  private readonly swarmListeners = new Set<() => void>();
  private swarm = newSwarmId();
  private playlist: string | undefined;
  private targetDuration = 0;
  /** The highest bit rate of a segment so far (the wrapper playlist's BANDWIDTH). */
  private peakBitrate = 0;
  private ended = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private warned = new Set<string>();

  constructor(options: LiveStreamOptions) {
    this.dir = path.resolve(options.dir);
    this.name = options.name;
    this.pollMs = options.pollMs ?? 250;
    this.log = options.logger ?? (() => {});
  }

  /** Starts following the folder; resolves after the first read of it. Rejects if the folder is not there. */
  async start(): Promise<void> {
    const info = await stat(this.dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new Error(`live folder not found: ${this.dir}`);
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // Some file systems cannot be watched: the poll below still follows the playlist.
    }
    this.timer = setInterval(() => void this.scan(), this.pollMs);
    this.timer.unref?.();
    await this.scan();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.close();
    this.listeners.clear();
    this.swarmListeners.clear();
  }

  /** The swarm id of the current run of the encoder. */
  get swarmId(): string {
    return this.swarm;
  }

  /** The media playlist's file name: the rendition's key (its path relative to the wrapper playlist). */
  get key(): string | undefined {
    return this.playlist;
  }

  /** The info hash viewers compute for the rendition: SHA-1 of the swarm id and the key. */
  get infoHash(): string | undefined {
    return this.playlist ? createHash('sha1').update(`${this.swarm}\n${this.playlist}`).digest('hex') : undefined;
  }

  /** Whether the encoder wrote EXT-X-ENDLIST: the event is over. */
  get hasEnded(): boolean {
    return this.ended;
  }

  /** The window's segments by media sequence number, with their digests (for tests and /stats). */
  window(): { sn: number; uri: string; sha256: string; bytes: number }[] {
    return [...this.segments].map(([sn, s]) => ({ sn, uri: s.uri, sha256: s.sha256, bytes: s.bytes.byteLength }));
  }

  /** Called when the stream's swarm (info hash) changes: its playlist first appears, or the encoder restarted. */
  onSwarm(listener: () => void): () => void {
    this.swarmListeners.add(listener);
    return () => this.swarmListeners.delete(listener);
  }

  /** The multivariant playlist viewers load: names the swarm metadata and the encoder's media playlist. */
  masterPlaylist(): string | undefined {
    if (!this.playlist) return undefined;
    return [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      `#EXT-X-SESSION-DATA:DATA-ID="${SWARM_DATA_ID}",URI="swarm.json"`,
      `#EXT-X-STREAM-INF:BANDWIDTH=${this.peakBitrate || DEFAULT_BANDWIDTH}`,
      encodeURI(this.playlist),
      '',
    ].join('\n');
  }

  swarmMetadata(): object {
    return { version: 1, swarmId: this.swarm, trackers: ['/announce'], iceServers: [], hashes: 'hashes.json' };
  }

  /** The sliding hash manifest (DESIGN.md's format): the window's segments, URIs relative to it. */
  hashManifest(): string {
    return hashManifest(new Map([...this.segments.values()].map((s) => [s.uri, s.sha256])));
  }

  // SwarmSegments: what the seeder offers to the rendition's swarm.
  held(): number[] {
    return [...this.segments.keys()];
  }

  segment(sn: number): Uint8Array | undefined {
    return this.segments.get(sn)?.bytes;
  }

  watch(onAdded: (sn: number) => void, onRemoved: (sn: number) => void): () => void {
    const listener = { added: onAdded, removed: onRemoved };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the playlist again (one read at a time; a change during a read makes one more). */
  scan(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        try {
          await this.read();
        } catch (error) {
          this.warnOnce('read', `p2p-seed: live ${this.name}: ${(error as Error).message}`);
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async read(): Promise<void> {
    if (!this.playlist) {
      this.playlist = await findPlaylist(this.dir);
      if (!this.playlist) return;
      this.log(`p2p-seed: live ${this.name}: following ${path.join(this.dir, this.playlist)}`);
      for (const listener of this.swarmListeners) listener();
    }
    let text: string;
    try {
      text = await readFile(path.join(this.dir, this.playlist), 'utf8');
    } catch {
      return;
    }
    // An encoder that writes in place may be caught half way: a playlist is used only whole.
    if (!text.startsWith('#EXTM3U') || !text.endsWith('\n')) return;
    const media = parsePlaylist(text);
    const first = media.mediaSequence ?? 0;
    const listed = (media.segments ?? []).map((segment, i) => ({ sn: first + i, uri: segment.uri, duration: segment.duration }));
    if (this.restarted(listed)) this.restart();
    this.targetDuration = media.targetDuration ?? this.targetDuration;
    if (media.endList && !this.ended) {
      this.ended = true;
      this.log(`p2p-seed: live ${this.name}: the encoder ended the stream (EXT-X-ENDLIST)`);
    }
    for (const { sn, uri, duration } of listed) {
      if (this.segments.has(sn) || this.closed) continue;
      const file = segmentPath(this.dir, uri);
      if (!file) {
        this.warnOnce(`uri ${uri}`, `p2p-seed: live ${this.name}: segment ${uri} is not a file of the folder: not seeded`);
        continue;
      }
      let bytes: Uint8Array;
      try {
        const buffer = await readFile(file);
        bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch {
        continue; // Already deleted (the encoder's window moved on while we read): viewers cannot want it either.
      }
      this.segments.set(sn, { uri, bytes, sha256: sha256Hex(bytes) });
      if (duration > 0) this.peakBitrate = Math.max(this.peakBitrate, Math.ceil((bytes.byteLength * 8) / duration));
      for (const listener of this.listeners) listener.added(sn);
    }
    for (const sn of [...this.segments.keys()]) {
      if (sn >= first - KEEP_BEHIND) continue;
      this.segments.delete(sn);
      for (const listener of this.listeners) listener.removed(sn);
    }
  }

  // Numbering went back, or a segment we hold is listed under another name: the encoder started again.
  private restarted(listed: { sn: number; uri: string }[]): boolean {
    if (this.segments.size === 0) return false;
    const newest = Math.max(...this.segments.keys());
    if (listed.length > 0 && listed[listed.length - 1]!.sn < newest) return true;
    return listed.some(({ sn, uri }) => this.segments.has(sn) && this.segments.get(sn)!.uri !== uri);
  }

  private restart(): void {
    for (const sn of [...this.segments.keys()]) {
      this.segments.delete(sn);
      for (const listener of this.listeners) listener.removed(sn);
    }
    this.swarm = newSwarmId();
    this.ended = false;
    this.log(`p2p-seed: live ${this.name}: the encoder started again: new swarm ${this.swarm}`);
    for (const listener of this.swarmListeners) listener();
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log(line);
  }
}

function newSwarmId(): string {
  return `live/${randomBytes(8).toString('hex')}`;
}

interface MediaPlaylist {
  mediaSequence?: number;
  targetDuration?: number;
  endList?: boolean;
  segments?: { uri: string; duration: number }[];
}

function parsePlaylist(text: string): MediaPlaylist {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest as MediaPlaylist;
}

/** The folder's media playlist: `index.m3u8` if there is one, else the first `.m3u8` by name. */
async function findPlaylist(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.toLowerCase().endsWith('.m3u8')).sort();
  return names.includes('index.m3u8') ? 'index.m3u8' : names[0];
}

/** A segment URI as a file inside the folder, or undefined (absolute URLs, `..`, query strings stripped). */
function segmentPath(dir: string, uri: string): string | undefined {
  if (!uri || /^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) return undefined;
  const clean = decodeURIComponent(uri.split(/[?#]/, 1)[0]!);
  if (clean.split('/').some((part) => part === '..' || part === '')) return undefined;
  return path.join(dir, ...clean.split('/'));
}
