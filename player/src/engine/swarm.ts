import type { PeerDetails, SwarmDetails } from './details.ts';
import { Emitter } from './emitter.ts';
import { toHex } from './info-hash.ts';
import { PeerSession } from './peer-session.ts';
import { TokenBucket } from './rate-limit.ts';
import type { PeerView } from './scheduler.ts';
import { TrackerClient, type TrackerError, type WebSocketLike } from './tracker-client.ts';
import type { PeerChannel, Transport } from './transport.ts';

/** The segments a swarm member offers: the engine's memory store for a viewer, files on disk for the seeder. */
export interface SwarmSegments {
  held(): number[];
  segment(sn: number): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Calls back on every change; returns the function that stops it. */
  watch(onAdded: (sn: number) => void, onRemoved: (sn: number) => void): () => void;
}

export interface SwarmOptions {
  /** The rendition's key inside the engine (also the store's swarm name). */
  key: string;
  infoHash: Uint8Array;
  peerId: Uint8Array;
  trackers: string[];
  transport: Transport;
  createWebSocket?: (url: string) => WebSocketLike;
  segments: SwarmSegments;
  uploads: boolean;
  /** A server seeder holding every segment (viewers ask it last). */
  seeder?: boolean;
  /** Offers sent with each announce (default 5). A seeder sends none: it answers the offers of viewers. */
  maxOffers?: number;
  /** Offers answered at once (see TrackerClientOptions.maxAnswering). */
  maxAnswering?: number;
  maxPeers: number;
  /**
   * Peers this process may still take across all its swarms (a seeder's peer cap); without it, only `maxPeers`
   * of this swarm counts.
   */
  peerBudget?: () => number;
  /** Upload limits: bytes per second to each peer, and a bucket shared with other swarms (a total). */
  uploadLimit?: { perPeer?: number; shared?: TokenBucket };
  now: () => number;
  random: () => number;
  logger: (line: string) => void;
}

export interface SwarmEvents {
  peerconnect: (event: { id: string }) => void;
  peerclose: (event: { id: string; reason: string }) => void;
  upload: (bytes: number) => void;
  have: () => void;
  warning: (error: TrackerError) => void;
}

// A channel that has not opened by then is given up.
const CONNECT_TIMEOUT_MS = 15_000;
const MAINTENANCE_MS = 5_000;
// With the pool full, a peer that has sent nothing for this long makes room for others.
const IDLE_MS = 120_000;
const MAX_FAILURES = 5;
// How long after joining a swarm we expect peers the tracker knows of to still be connecting.
const DISCOVERY_MS = 8_000;
// Copies of one segment a peer may ask of us; a peer that asks for more is looping, not watching.
const MAX_COPIES_PER_SEGMENT = 4;

/**
 * The viewers of one rendition: the tracker client that finds them, the sessions with those connected, and the
 * availability announcements between them and the segment store.
 */
export class Swarm extends Emitter<SwarmEvents> {
  readonly key: string;
  private readonly options: SwarmOptions;
  private readonly tracker: TrackerClient;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly connecting = new Map<string, { channel: PeerChannel; timer: ReturnType<typeof setTimeout> }>();
  private readonly banned = new Set<string>();
  private readonly maintenance: ReturnType<typeof setInterval>;
  private pendingAdded: number[] = [];
  private pendingRemoved: number[] = [];
  private flushQueued = false;
  private destroyed = false;
  private readonly unwatch: () => void;
  readonly joinedAt: number;
  /** Viewers the trackers last counted in this swarm, us included; undefined until one answered. */
  trackerCount: number | undefined;

  constructor(options: SwarmOptions) {
    super();
    this.key = options.key;
    this.options = options;
    this.joinedAt = options.now();
    this.unwatch = options.segments.watch(this.onAdded, this.onRemoved);
    this.tracker = new TrackerClient({
      urls: options.trackers,
      infoHash: options.infoHash,
      peerId: options.peerId,
      transport: options.transport,
      createWebSocket: options.createWebSocket,
      wantPeers: () => this.room(),
      // A banned peer counts as one we have: its offers go unanswered and it is never offered to again.
      hasPeer: (id) => this.sessions.has(id) || this.connecting.has(id) || this.banned.has(id),
      maxOffers: options.maxOffers,
      maxAnswering: options.maxAnswering,
      logger: options.logger,
    });
    this.tracker.on('peer', ({ channel, peerId }) => this.adopt(peerId, channel));
    this.tracker.on('warning', (error) => this.emit('warning', error));
    this.tracker.on('update', ({ complete, incomplete }) => {
      if (complete !== undefined || incomplete !== undefined) this.trackerCount = (complete ?? 0) + (incomplete ?? 0);
      this.emit('have', undefined);
    });
    this.tracker.start();
    this.maintenance = setInterval(() => this.maintain(), MAINTENANCE_MS);
  }

  /** Peers and handshakes in progress, counted against the caps. */
  get size(): number {
    return this.sessions.size + this.connecting.size;
  }

  /** How many more peers this swarm may take. */
  private room(): number {
    const own = this.options.maxPeers - this.size;
    const budget = this.options.peerBudget?.() ?? Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(own, budget));
  }

  /** Peers that said hello: connected and in this swarm. */
  get peerCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.ready) n += 1;
    return n;
  }

  /** What the scheduler needs to know of each ready peer about one segment. */
  views(sn: number): PeerView[] {
    const out: PeerView[] = [];
    for (const s of this.sessions.values()) {
      if (!s.ready || !s.remoteUploads) continue;
      out.push({
        id: s.id,
        has: s.has(sn),
        throughput: s.throughput,
        inflight: s.inflight,
        maxRequests: s.remoteMaxRequests,
        failures: s.failures,
        seeder: s.remoteSeeder,
      });
    }
    return out;
  }

  /** Whether others may be about to connect: the trackers have not answered yet, or counted more than us. */
  get discovering(): boolean {
    const young = this.options.now() - this.joinedAt < DISCOVERY_MS;
    return young && (this.trackerCount === undefined || this.trackerCount > 1 + this.sessions.size);
  }

  /** Peers that hold the segment before `sn` but not `sn`: viewers at the same point as us. */
  racing(sn: number): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.ready && s.remoteUploads && sn > 0 && s.has(sn - 1) && !s.has(sn)) n += 1;
    return n;
  }

  holders(sn: number): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.ready && s.has(sn)) n += 1;
    return n;
  }

  /** This swarm and its trackers, for people to read. */
  details(): SwarmDetails {
    return { key: this.key, infoHash: toHex(this.options.infoHash), peers: this.peerCount, trackers: this.tracker.status() };
  }

  /** A row per connected peer, for people to read; `rejected` tells how many of a peer's segments failed the hash. */
  peerDetails(rejected: (id: string) => number): PeerDetails[] {
    const rows: PeerDetails[] = [];
    for (const s of this.sessions.values()) {
      if (!s.ready) continue;
      rows.push({
        id: s.id,
        swarm: this.key,
        downloadedBytes: s.bytesDown,
        uploadedBytes: s.bytesUp,
        downloadRate: Math.round(s.downRate.rate),
        uploadRate: Math.round(s.upRate.rate),
        rejectedSegments: rejected(s.id),
        seeder: s.remoteSeeder,
        uploads: s.remoteUploads,
      });
    }
    return rows;
  }

  session(id: string): PeerSession | undefined {
    return this.sessions.get(id);
  }

  /** Drops a peer for the rest of this swarm's life (it sent bytes that failed verification, or abused us). */
  ban(id: string, reason: string): void {
    this.banned.add(id);
    this.sessions.get(id)?.close(`banned: ${reason}`);
    const pending = this.connecting.get(id);
    if (pending) {
      clearTimeout(pending.timer);
      this.connecting.delete(id);
      pending.channel.destroy();
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.maintenance);
    this.unwatch();
    this.tracker.destroy();
    for (const { channel, timer } of this.connecting.values()) {
      clearTimeout(timer);
      channel.destroy();
    }
    this.connecting.clear();
    for (const session of [...this.sessions.values()]) session.close('leaving the swarm');
    this.removeAllListeners();
  }

  private adopt(id: string, channel: PeerChannel): void {
    // The budget was checked before answering, but other swarms of this process may have used it up since.
    const overBudget = this.options.peerBudget !== undefined && this.options.peerBudget() <= 0;
    if (this.destroyed || this.sessions.has(id) || this.connecting.has(id) || this.banned.has(id) || overBudget) {
      channel.destroy();
      return;
    }
    const giveUp = (): void => {
      this.connecting.delete(id);
      channel.destroy();
    };
    const timer = setTimeout(giveUp, CONNECT_TIMEOUT_MS);
    this.connecting.set(id, { channel, timer });
    const onConnect = (): void => {
      channel.off('connect', onConnect);
      channel.off('close', onClose);
      channel.off('error', onClose);
      clearTimeout(timer);
      this.connecting.delete(id);
      if (this.destroyed) return channel.destroy();
      this.open(id, channel);
    };
    // A channel that fails before it connects is given up at once, not at the connect timeout, so the peer's
    // next offer finds room.
    const onClose = (): void => {
      channel.off('connect', onConnect);
      channel.off('close', onClose);
      channel.off('error', onClose);
      clearTimeout(timer);
      this.connecting.delete(id);
      channel.destroy();
    };
    channel.on('connect', onConnect);
    channel.on('close', onClose);
    channel.on('error', onClose);
    if (channel.connected) onConnect();
  }

  private open(id: string, channel: PeerChannel): void {
    const segments = this.options.segments;
    const { perPeer, shared } = this.options.uploadLimit ?? {};
    const uploadLimits = [...(perPeer ? [new TokenBucket(perPeer, { now: this.options.now })] : []), ...(shared ? [shared] : [])];
    // Copies of each segment this peer was given (started, cancelled or not), so a request loop cannot make us
    // upload without bound. Past the limit the peer is banned: a new connection would start its count again.
    const copies = new Map<number, number>();
    const counted = (sn: number) => (bytes: Uint8Array | undefined): Uint8Array | undefined => {
      if (bytes) copies.set(sn, (copies.get(sn) ?? 0) + 1);
      return bytes;
    };
    const session = new PeerSession(id, channel, {
      infoHash: this.options.infoHash,
      uploads: this.options.uploads,
      seeder: this.options.seeder ?? false,
      held: () => segments.held(),
      segment: (sn) => {
        if ((copies.get(sn) ?? 0) >= MAX_COPIES_PER_SEGMENT) {
          this.ban(id, `asked for the same segment over and over (${sn})`);
          return undefined;
        }
        const found = segments.segment(sn);
        return found instanceof Promise ? found.then(counted(sn)) : counted(sn)(found);
      },
      uploadLimits,
      now: this.options.now,
    });
    this.sessions.set(id, session);
    session.on('ready', () => this.emit('peerconnect', { id }));
    session.on('have', () => this.emit('have', undefined));
    session.on('upload', (bytes) => this.emit('upload', bytes));
    session.on('close', (reason) => {
      this.sessions.delete(id);
      const wasReady = session.ready;
      this.options.logger(`peer ${id.slice(0, 8)} closed: ${reason}`);
      if (wasReady) this.emit('peerclose', { id, reason });
      if (!this.destroyed) this.tracker.announce();
    });
  }

  private maintain(): void {
    const now = this.options.now();
    const full = this.sessions.size >= this.options.maxPeers;
    for (const session of [...this.sessions.values()]) {
      if (session.failures >= MAX_FAILURES) session.close('too many failures');
      else if (full && now - session.lastActivity > IDLE_MS) session.close('idle');
    }
  }

  private readonly onAdded = (sn: number): void => {
    this.pendingAdded.push(sn);
    this.queueFlush();
  };

  private readonly onRemoved = (sn: number): void => {
    this.pendingRemoved.push(sn);
    this.queueFlush();
  };

  // Availability changes go out in one message per peer per task, not one per segment.
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const added = this.pendingAdded.filter((sn) => !this.pendingRemoved.includes(sn));
      const removed = this.pendingRemoved.filter((sn) => !this.pendingAdded.includes(sn));
      this.pendingAdded = [];
      this.pendingRemoved = [];
      if (added.length === 0 && removed.length === 0) return;
      for (const session of this.sessions.values()) session.announce(added, removed);
    });
  }
}
