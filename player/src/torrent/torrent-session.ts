// Loaded on demand (built on its own with WebTorrent, as p2p-video-webtorrent.js): only pages that play a torrent
// pay for it.
import WebTorrent, { type AddOptions, type Client, type Torrent, type TorrentFile, type Wire } from 'webtorrent/dist/webtorrent.min.js';
import type { EngineDetails } from '../engine/details.ts';
import type { P2PStats } from '../engine/stats.ts';
import { adoptHeadStart, type HeadStart } from './head-start.ts';
import { moovRange } from './media-layout.ts';
import { ReadPositions } from './read-positions.ts';
import type { TorrentSource } from './torrent-source.ts';
import { TorrentCounters } from './torrent-stats.ts';
import { gateWebSeed } from './web-seed.ts';

export interface TorrentSessionOptions {
  /** The element's `src`, to name pieces in events. */
  src: string;
  source: TorrentSource;
  /** False for `p2p="download-only"`: peers are never unchoked. */
  uploads: boolean;
  /** Replaces the torrent's own trackers (the `tracker` attribute). */
  trackers?: string[];
  iceServers: RTCIceServer[];
  /** The MIME type a file of this name is played as, if it is media. */
  mimeType(name: string): string | undefined;
  /** The file's first bytes, already asked of the origin: the pieces among them that match are not asked again. */
  headStart?: HeadStart;
  /** Seconds of media the video holds ahead of its playhead. */
  bufferAhead(): number;
}

export interface TorrentSessionEvents {
  stats(stats: P2PStats): void;
  peerConnect(id: string, swarm: string): void;
  peerClose(id: string, swarm: string, reason: string): void;
  warning(warning: { code: string; message: string; fatal: false }): void;
  segmentRejected(event: { url: string; peer: string; reason: string }): void;
  /** The torrent broke after playback began. */
  failed(error: Error): void;
}

const STATS_INTERVAL_MS = 250;
/** The first bytes read at once, to find where an MP4's index is. */
const HEAD_BYTES = 64 * 1024;
/** At most this much of the file is marked critical for its index. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** What the media element reads next (after a seek, or while it waits): this much goes before the rest. */
const PLAYHEAD_BYTES = 2 * 1024 * 1024;
/**
 * The origin (web seed) is asked for pieces only while the video holds less than this many seconds ahead of its
 * playhead, and then only for those from where it reads to ORIGIN_WINDOW_BYTES past that: what it needs next and no
 * peer has sent in time. Everything else comes from peers, as HLS segments do; a viewer without peers gets from the
 * origin about what `<video src>` would read, not the whole file.
 */
const ORIGIN_LEAD_SECONDS = 10;
const ORIGIN_WINDOW_BYTES = 512 * 1024;
/** Above the media element's own requests (1) and the rest of the file (0). */
const PLAYHEAD_PRIORITY = 2;
/** Requests in flight to the web seed (WebTorrent's default is 4; browsers open 6 connections per host). */
const WEB_SEED_CONNECTIONS = 6;
const PIECE_FAILED = /^Piece (\d+) failed verification/;

let sessions = 0;

/**
 * Starts a torrent for one source, with its own WebTorrent client (trackers, ICE servers and upload policy are per
 * element). Resolves once the file to play is known and can be read (`session.read`); rejects (and cleans up) when
 * it cannot, or when `signal` aborts.
 */
export async function startTorrentSession(options: TorrentSessionOptions, events: TorrentSessionEvents, signal: AbortSignal): Promise<TorrentSession> {
  const session = new TorrentSession(options, events);
  const stop = (): void => session.destroy();
  signal.addEventListener('abort', stop);
  try {
    await session.ready;
    signal.throwIfAborted();
    return session;
  } catch (error) {
    session.destroy();
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** One source played from a torrent: counts its bytes by source, reports peers, bans peers that send bad pieces. */
export class TorrentSession {
  /** Resolves when the torrent's metadata is in and the file to play is chosen. */
  readonly ready: Promise<void>;
  private readonly options: TorrentSessionOptions;
  private readonly events: TorrentSessionEvents;
  private readonly client: Client;
  private readonly counters = new TorrentCounters();
  private readonly peers = new Set<Wire>();
  private readonly banned = new Set<string>();
  private readonly rejectedFrom = new Map<string, number>();
  private readonly warned = new Set<string>();
  private readonly id = `s${(sessions += 1)}`;
  private torrent: Torrent;
  private file: TorrentFile | undefined;
  private playhead: { first: number; last: number } | undefined;
  /** Where the media element reads the file. */
  private readonly reads = new ReadPositions();
  private announced = false;
  private dirty = false;
  private timer: ReturnType<typeof setInterval>;
  private settle: { resolve(): void; reject(error: Error): void } | undefined;
  private destroyed = false;

  constructor(options: TorrentSessionOptions, events: TorrentSessionEvents) {
    this.options = options;
    this.events = events;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Never a public STUN server by default (WebTorrent's own default has some): the `ice-servers` attribute's, else none.
    this.client = new WebTorrent({ tracker: { rtcConfig: { iceServers: options.iceServers } }, dht: false, lsd: false, natUpnp: false, natPmp: false });
    this.client.on('error', (error) => this.fail(asError(error)));
    this.client.on('warning', () => undefined);
    this.torrent = this.add(options.source);
    this.timer = setInterval(() => this.flushStats(), STATS_INTERVAL_MS);
  }

  /** The swarm's name in events and details: the file's name. */
  get swarm(): string {
    return this.file?.name ?? this.options.source.name ?? this.torrent.infoHash ?? '';
  }

  get type(): string {
    return (this.file && this.options.mimeType(this.file.name)) ?? 'video/mp4';
  }

  /** The file played (once ready): its name, size, and a name unique to this session for its stream URL. */
  get playing(): { name: string; length: number; id: string } {
    const file = this.file;
    if (!file || this.destroyed) throw new Error('the torrent is not ready');
    return { name: file.name, length: file.length, id: `${this.torrent.infoHash}-${this.id}` };
  }

  /** Bytes start..end (inclusive) of the file, as they are verified; what the media element reads goes first. */
  read(start: number, end: number): AsyncIterator<Uint8Array> {
    const file = this.file;
    if (!file || this.destroyed) throw new Error('the torrent is not ready');
    const position = this.reads.start(start);
    this.prioritise(start);
    return limit(file[Symbol.asyncIterator]({ start, end }), end - start + 1, position);
  }

  /** Playback waits for data: what the media element reads next goes before anything else. */
  prioritiseReading(): void {
    this.prioritise(this.reads.at);
  }

  /**
   * Asks for the next few MB from byte `at` of the file before anything else: where the media element reads
   * (its request after a seek starts there), ahead of the sequential download of the rest.
   */
  private prioritise(at: number): void {
    const file = this.file;
    const torrent = this.torrent;
    if (!file || this.destroyed || !torrent.ready || at >= file.length) return;
    const first = Math.floor((file.offset + at) / torrent.pieceLength);
    const last = Math.floor((file.offset + Math.min(file.length - 1, at + PLAYHEAD_BYTES)) / torrent.pieceLength);
    if (this.playhead) torrent._deselect(this.playhead.first, this.playhead.last, true);
    torrent._select(first, last, PLAYHEAD_PRIORITY, undefined, true);
    torrent.critical(first, Math.min(last, first + 2));
    this.playhead = { first, last };
  }

  /** Whether piece `index` may be asked of the origin now (see ORIGIN_LEAD_SECONDS). */
  private forOrigin(index: number): boolean {
    const file = this.file;
    if (!file || this.options.bufferAhead() >= ORIGIN_LEAD_SECONDS) return false;
    const pieceLength = this.torrent.pieceLength;
    const reading = this.reads.at;
    const first = Math.floor((file.offset + reading) / pieceLength);
    const last = Math.floor((file.offset + Math.min(file.length - 1, reading + ORIGIN_WINDOW_BYTES)) / pieceLength);
    return index >= first && index <= last;
  }

  details(): EngineDetails {
    const swarm = this.swarm;
    return {
      swarmId: this.torrent.infoHash || undefined,
      peerId: this.client.peerId,
      swarms: [
        {
          key: swarm,
          infoHash: this.torrent.infoHash ?? '',
          peers: this.peers.size,
          trackers: (this.torrent.announce ?? []).map((url) => ({ url, status: this.announced ? 'connected' : 'connecting' })),
        },
      ],
      peers: [...this.peers].map((wire) => ({
        id: wire.peerId,
        swarm,
        downloadedBytes: wire.downloaded,
        uploadedBytes: wire.uploaded,
        downloadRate: Math.round(wire.downloadSpeed()),
        uploadRate: Math.round(wire.uploadSpeed()),
        rejectedSegments: this.rejectedFrom.get(wire.peerId) ?? 0,
        seeder: wire.isSeeder,
        uploads: true,
      })),
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.timer);
    this.settle?.reject(new Error('stopped'));
    this.settle = undefined;
    this.peers.clear();
    this.client.destroy(() => undefined);
  }

  private add(source: TorrentSource): Torrent {
    const options: AddOptions = {
      urlList: [...new Set([...source.webSeeds, ...(source.fileUrl ? [source.fileUrl] : [])])],
      // Nothing is fetched until the file is chosen (a torrent may hold several).
      deselect: true,
      destroyStoreOnDestroy: true,
      maxWebConns: WEB_SEED_CONNECTIONS,
    };
    if (!this.options.uploads) options.uploads = 0;
    const torrent = this.client.add(
      source.torrentFile ?? {
        infoHash: source.infoHash ?? '',
        name: source.name,
        announce: source.trackers,
        urlList: [],
        xs: source.torrentUrls,
      },
      options,
    );
    askPromptly(torrent);
    // WebTorrent reads back every piece of its store before 'ready', to see what it already has: in a browser that
    // store is OPFS, and reading a fresh store of a few hundred pieces as empty took 600-800 ms. A session's store
    // is always new (destroyed with the session), so the torrent starts with the head start's pieces and no others.
    torrent._verifyPieces = (callback) => {
      const file = pickFile(torrent.files, this.options.mimeType);
      const report = {
        adopted: (index: number, bytes: number): void => this.counters.received(index, bytes, { kind: 'http' }),
        rejected: (index: number): void => {
          this.counters.failed(index);
          this.dirty = true;
          this.warn('ERR_HTTP_INTEGRITY', `Piece ${index} from the origin does not match the torrent's SHA-1: dropped and fetched again.`, false);
        },
      };
      void adoptHeadStart(torrent, file, this.options.headStart, report).then(
        () => callback(null),
        () => callback(null),
      );
    };
    torrent.on('infoHash', (infoHash) => {
      if (source.torrentFile && source.infoHash && infoHash !== source.infoHash) {
        // The .torrent beside the file is not the one the origin's Link names (a stale copy): use the link's.
        this.warn('ERR_TORRENT_MISMATCH', `The .torrent does not match the info hash the origin links to (${source.infoHash}); using the link.`);
        torrent.destroy();
        this.torrent = this.add({ ...source, torrentFile: undefined });
        return;
      }
      if (this.options.trackers) torrent.announce = [...this.options.trackers];
    });
    torrent.on('ready', () => this.onReady(torrent));
    torrent.on('wire', (wire) => this.onWire(wire));
    torrent.on('verified', (index) => {
      this.counters.verified(index);
      this.dirty = true;
    });
    torrent.on('trackerAnnounce', () => {
      this.announced = true;
    });
    torrent.on('warning', (warning) => this.onWarning(asError(warning)));
    torrent.on('error', (error) => this.fail(asError(error)));
    return torrent;
  }

  private onReady(torrent: Torrent): void {
    if (this.destroyed || torrent !== this.torrent) return;
    const file = pickFile(torrent.files, this.options.mimeType);
    if (!file) {
      this.fail(new Error('the torrent holds no file to play'));
      return;
    }
    this.file = file;
    file.select();
    void this.prioritiseIndex(torrent, file);
    this.settle?.resolve();
    this.settle = undefined;
  }

  // The first bytes are asked for at once (critical, ahead of the media element's own request); once they are in,
  // an MP4 written without faststart gets its index, at the end of the file, asked for next.
  private async prioritiseIndex(torrent: Torrent, file: TorrentFile): Promise<void> {
    try {
      const head = await readAll(file[Symbol.asyncIterator]({ start: 0, end: Math.min(HEAD_BYTES, file.length) - 1 }));
      const index = moovRange(head, file.length);
      if (!index || this.destroyed) return;
      const first = Math.floor((file.offset + index.start) / torrent.pieceLength);
      const last = Math.floor((file.offset + Math.min(index.end, index.start + MAX_INDEX_BYTES)) / torrent.pieceLength);
      torrent.critical(first, last);
    } catch {
      // The torrent went away: nothing to prioritise.
    }
  }

  private onWire(wire: Wire): void {
    if (this.destroyed) return;
    if (wire.type === 'webSeed') {
      gateWebSeed(this.torrent, wire, (index) => this.forOrigin(index));
      wire.on('piece', (index, _offset, buffer) => {
        this.counters.received(index, buffer.length, { kind: 'http' });
        this.dirty = true;
      });
      return;
    }
    const id = wire.peerId;
    if (this.banned.has(id)) {
      wire.destroy();
      return;
    }
    if (!this.options.uploads) {
      // download-only: the peer stays choked, so it never gets to ask for a piece. WebTorrent unchokes every
      // interested peer once; this wire ignores that.
      wire.choke();
      (wire as { unchoke(): void }).unchoke = () => undefined;
    }
    this.peers.add(wire);
    this.counters.setPeers(this.peers.size);
    this.dirty = true;
    const swarm = this.swarm;
    this.events.peerConnect(id, swarm);
    wire.on('piece', (index, _offset, buffer) => {
      this.counters.received(index, buffer.length, { kind: 'peer', peer: id });
      this.dirty = true;
    });
    wire.on('upload', (bytes) => {
      this.counters.uploaded(bytes);
      this.dirty = true;
    });
    wire.once('close', () => {
      if (!this.peers.delete(wire) || this.destroyed) return;
      this.counters.setPeers(this.peers.size);
      this.dirty = true;
      this.events.peerClose(id, swarm, this.banned.has(id) ? 'banned' : 'closed');
    });
  }

  private onWarning(error: Error): void {
    const failed = PIECE_FAILED.exec(error.message);
    if (!failed) {
      if (/tracker|websocket|announce/i.test(error.message)) this.warn('ERR_TRACKER_UNREACHABLE', `Tracker: ${error.message}`);
      return;
    }
    const index = Number(failed[1]);
    const fed = this.counters.failed(index);
    this.dirty = true;
    const url = `${this.options.src}#piece=${index}`;
    if (fed.fromHttp) {
      this.warn('ERR_HTTP_INTEGRITY', `Piece ${index} from the origin does not match the torrent's SHA-1: dropped and fetched again.`, false);
    }
    // A peer that sent a whole bad piece alone is banned; one that shared it with other sources may be innocent.
    const alone = fed.peers.length === 1 && !fed.fromHttp;
    for (const peer of fed.peers) {
      this.rejectedFrom.set(peer, (this.rejectedFrom.get(peer) ?? 0) + 1);
      if (alone) this.ban(peer);
      this.events.segmentRejected({ url, peer, reason: alone ? 'SHA-1 mismatch' : 'SHA-1 mismatch (piece also had other sources)' });
    }
  }

  private ban(peer: string): void {
    if (this.banned.has(peer)) return;
    this.banned.add(peer);
    this.counters.banned();
    for (const wire of this.peers) if (wire.peerId === peer) wire.destroy();
  }

  private warn(code: string, message: string, once = true): void {
    if (this.destroyed || (once && this.warned.has(code))) return;
    this.warned.add(code);
    this.events.warning({ code, message, fatal: false });
  }

  private fail(error: Error): void {
    if (this.destroyed) return;
    if (this.settle) {
      this.settle.reject(error);
      this.settle = undefined;
      return;
    }
    this.events.failed(error);
  }

  private flushStats(): void {
    // The video's buffer ran low while no piece came in: the origin may now be asked (nothing else would ask).
    if (this.file && !this.destroyed && !this.torrent.done && this.options.bufferAhead() < ORIGIN_LEAD_SECONDS) this.torrent._update();
    if (!this.dirty || this.destroyed) return;
    this.dirty = false;
    this.events.stats(this.counters.snapshot());
  }
}

/**
 * WebTorrent asks for more pieces in requestIdleCallback, which a page busy playing video runs up to 250 ms late,
 * every time a request completes: a seek waited seconds for pieces an idle page gets in 200 ms. The pass runs as
 * soon as the current task is done instead (several calls in one task make one pass).
 */
function askPromptly(torrent: Torrent): void {
  let scheduled = false;
  torrent._update = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      if (!torrent.destroyed) torrent._updateWireWrapper();
    });
  };
}

/** The file to play: the largest media file (by name), else the largest file. */
function pickFile(files: TorrentFile[], mimeType: (name: string) => string | undefined): TorrentFile | undefined {
  const bySize = [...files].sort((a, b) => b.length - a.length);
  return bySize.find((file) => mimeType(file.name)) ?? bySize[0];
}

/**
 * At most `length` bytes of `chunks`, then done (WebTorrent's iterator reads to the end of the file when asked for
 * a range ending at byte 0), telling `position` of each chunk handed on and of the end.
 */
function limit(chunks: AsyncIterator<Uint8Array>, length: number, position: { advance(bytes: number): void; end(): void }): AsyncIterator<Uint8Array> {
  let left = length;
  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    left = 0;
    position.end();
    await chunks.return?.();
    return { done: true, value: undefined };
  };
  return {
    next: async () => {
      if (left <= 0) return finish();
      const next = await chunks.next();
      if (next.done) {
        position.end();
        return next;
      }
      const chunk = next.value.length > left ? next.value.subarray(0, left) : next.value;
      left -= chunk.length;
      position.advance(chunk.length);
      return { done: false, value: chunk };
    },
    return: finish,
  };
}

async function readAll(chunks: AsyncIterator<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    parts.push(next.value);
    size += next.value.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function asError(value: Error | string): Error {
  return value instanceof Error ? value : new Error(String(value));
}
