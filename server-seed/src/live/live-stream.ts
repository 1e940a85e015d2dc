import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { hashManifest, sha256Hex } from '../packager/hash-manifest.ts';
import { parseM3u8 } from '../playlist.ts';
import { BEACON_PATH, SWARM_DATA_ID, swarmInfoHash } from '../swarm-metadata.ts';
import { HeldLiveSource } from './held-segments.ts';

export interface LiveStreamOptions {
  /** The folder an encoder writes a live HLS media playlist and its segments into. */
  dir: string;
  /** Its name in logs and URLs (`/live/<name>/`). */
  name: string;
  /** How often the playlist is read again besides file-change events, ms (default 250). */
  pollMs?: number;
  logger?: (line: string) => void;
}

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
export class LiveStream extends HeldLiveSource {
  readonly name: string;
  private readonly dir: string;
  private readonly pollMs: number;
  private readonly log: (line: string) => void;
  private swarm = newSwarmId();
  private playlist: string | undefined;
  private targetDuration = 0;
  /** The highest bit rate of a segment so far (the wrapper playlist's BANDWIDTH). */
  private peakBitrate = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private warned = new Set<string>();

  constructor(options: LiveStreamOptions) {
    super();
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
    this.dropListeners();
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
    return this.playlist ? swarmInfoHash(this.swarm, this.playlist) : undefined;
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
    return { version: 1, swarmId: this.swarm, trackers: ['/announce'], iceServers: [], hashes: 'hashes.json', beacon: BEACON_PATH };
  }

  /** The sliding hash manifest (DESIGN.md's format): the window's segments, URIs relative to it. */
  hashManifest(): string {
    return hashManifest(this.segments.digests());
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
      this.swarmChanged();
    }
    let text: string;
    try {
      text = await readFile(path.join(this.dir, this.playlist), 'utf8');
    } catch {
      return;
    }
    // An encoder that writes in place may be caught half way: a playlist is used only whole.
    if (!text.startsWith('#EXTM3U') || !text.endsWith('\n')) return;
    const media = parseM3u8(text);
    const first = media.mediaSequence ?? 0;
    const listed = (media.segments ?? []).map((segment, i) => ({ sn: first + i, uri: segment.uri, duration: segment.duration }));
    if (this.segments.restarted(listed)) this.restart();
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
      if (duration && duration > 0) this.peakBitrate = Math.max(this.peakBitrate, Math.ceil((bytes.byteLength * 8) / duration));
      this.segments.add(sn, { uri, bytes, sha256: sha256Hex(bytes) });
    }
    this.segments.slide(first);
  }

  // The encoder started again (numbering went back, or a segment held is listed under another name).
  private restart(): void {
    this.segments.slide(Infinity);
    this.swarm = newSwarmId();
    this.ended = false;
    this.log(`p2p-seed: live ${this.name}: the encoder started again: new swarm ${this.swarm}`);
    this.swarmChanged();
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
