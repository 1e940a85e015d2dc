/**
 * Finds peers for one swarm through WebTorrent trackers: announces to every tracker URL at once, sends WebRTC
 * offers through them and answers the offers they relay. Channels are handed over ('peer') once their
 * offer/answer exchange is done; until then tracker-handshakes.ts owns them.
 */
import type { TrackerStatus } from './details.ts';
import { Emitter } from './emitter.ts';
import { Handshakes } from './tracker-handshakes.ts';
import type { ReadyOffer } from './tracker-handshakes.ts';
import {
  binaryToHex,
  bytesToBinary,
  bytesToHex,
  decodeFrame,
  encodeAnnounce,
  encodeAnswer,
  parseTrackerMessage,
} from './tracker-messages.ts';
import type { AnnounceEvent, TrackerMessage } from './tracker-messages.ts';
import { TrackerSocket } from './tracker-socket.ts';
import type { Clock, WebSocketLike } from './tracker-socket.ts';
import type { PeerChannel, SignalData, Transport } from './transport.ts';

export type { Clock, WebSocketLike } from './tracker-socket.ts';

export interface TrackerClientOptions {
  /** ws:// or wss://; others are rejected with a warning. */
  urls: string[];
  /** 20 bytes. */
  infoHash: Uint8Array;
  /** 20 bytes, ours. */
  peerId: Uint8Array;
  transport: Transport;
  /** Default: globalThis.WebSocket. */
  createWebSocket?: (url: string) => WebSocketLike;
  /** How many more peers the pool would take now (0: announce without offers, answer no offers). */
  wantPeers: () => number;
  /** Already connected or connecting: do not connect again. */
  hasPeer: (peerIdHex: string) => boolean;
  /** Offers per announce (at most wantPeers()). Default 5. */
  maxOffers?: number;
  /**
   * Relayed offers answered at once (handshakes in progress). Default twice maxOffers (at least 2); a seeder,
   * which makes no offers and answers everyone's, sets it higher so a crowd arriving at once is not turned away.
   */
  maxAnswering?: number;
  /** Unanswered offers are destroyed after this; so are channels we answered that never connect. Default 50 s. */
  offerTimeoutMs?: number;
  /** Giving up on a channel that never produces its offer/answer. Default 10 s. */
  signalTimeoutMs?: number;
  /** `left: 0` makes us a seeder ('completed' is announced once); without `left` the tracker counts us incomplete. */
  stats?: () => { uploaded: number; downloaded: number; left?: number };
  clock?: Clock;
  random?: () => number;
  logger?: (line: string) => void;
}

export type TrackerErrorCode =
  | 'ERR_TRACKER_UNREACHABLE'
  | 'ERR_TRACKER_PROTOCOL'
  | 'ERR_TRACKER_REFUSED'
  | 'ERR_TRACKER_URL'
  /** A listener or callback of this client threw. */
  | 'ERR_LISTENER';

/** Never fatal: without trackers the player still plays over HTTP. */
export class TrackerError extends Error {
  readonly code: TrackerErrorCode;
  readonly fatal = false as const;
  /** The tracker concerned ('' when none is). */
  readonly url: string;

  constructor(code: TrackerErrorCode, message: string, url: string) {
    super(message);
    this.name = 'TrackerError';
    this.code = code;
    this.url = url;
  }
}

export interface TrackerClientEvents {
  /** Handed over once the offer/answer exchange is done; the pool owns `channel` from then on. */
  peer: (event: { channel: PeerChannel; peerId: string; initiator: boolean }) => void;
  warning: (error: TrackerError) => void;
  update: (event: { url: string; complete?: number; incomplete?: number }) => void;
  connect: (event: { url: string }) => void;
  disconnect: (event: { url: string }) => void;
}

/** Re-announce this often while the pool wants peers, unless the tracker asks for less. */
export const WANT_PEERS_ANNOUNCE_MS = 20_000;
/** Never announce to one tracker more often than this (nor than its `min interval`). */
export const MIN_ANNOUNCE_MS = 5_000;
const DEFAULT_INTERVAL_MS = 120_000;
const MAX_INTERVAL_MS = 60 * 60_000;

interface Tracker {
  url: string;
  socket: TrackerSocket;
  intervalMs: number;
  floorMs: number;
  trackerId?: string;
  timer?: unknown;
  lastAnnounceAt: number;
  /** Set while the offers for the next announce are being created. */
  batch?: object;
  /** An announce was asked for while the offers were being created. */
  again: boolean;
  startedSent: boolean;
  completedSent: boolean;
  /** The tracker's reason for refusing us, until it answers an announce. */
  refused?: string;
}

export class TrackerClient extends Emitter<TrackerClientEvents> {
  private readonly options: TrackerClientOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  private readonly infoHash: string;
  private readonly peerId: string;
  private readonly maxOffers: number;
  private readonly handshakes: Handshakes<Tracker>;
  private readonly trackers: Tracker[] = [];
  private readonly rejectedUrls: [url: string, reason: string][] = [];
  private started = false;
  private destroyed = false;
  private urlsReported = false;
  private reportingListenerError = false;

  constructor(options: TrackerClientOptions) {
    super();
    if (options.infoHash.length !== 20) throw new TypeError('infoHash must be 20 bytes');
    if (options.peerId.length !== 20) throw new TypeError('peerId must be 20 bytes');
    const createWebSocket = options.createWebSocket ?? defaultCreateWebSocket();
    this.options = options;
    this.clock = options.clock ?? defaultClock;
    this.random = options.random ?? Math.random;
    this.infoHash = bytesToBinary(options.infoHash);
    this.peerId = bytesToBinary(options.peerId);
    this.maxOffers = Math.max(0, Math.floor(options.maxOffers ?? 5));
    const logger = options.logger;
    const prefix = `tracker-client ${bytesToHex(options.infoHash).slice(0, 8)}: `;
    this.log = logger ? (line) => logger(prefix + line) : () => {};
    this.onListenerError = (error) => this.onCallbackError(error, 'a listener');
    this.handshakes = new Handshakes<Tracker>({
      transport: options.transport,
      clock: this.clock,
      random: this.random,
      peerIdHex: bytesToHex(options.peerId),
      offerTimeoutMs: options.offerTimeoutMs ?? 50_000,
      signalTimeoutMs: options.signalTimeoutMs ?? 10_000,
      hasPeer: (peerIdHex) => this.hasPeer(peerIdHex),
      handOver: (channel, peerId, initiator) => this.emit('peer', { channel, peerId, initiator }),
      log: this.log,
    });

    const seen = new Set<string>();
    for (const raw of options.urls) {
      const url = checkUrl(raw);
      if (typeof url !== 'string') this.rejectedUrls.push([raw, url.problem]);
      else if (!seen.has(url)) {
        seen.add(url);
        this.trackers.push(this.createTracker(url, createWebSocket));
      }
    }
  }

  /** Connects to every tracker and joins the swarm. Calling it again while started does nothing. */
  start(): void {
    this.assertAlive();
    if (!this.urlsReported) {
      this.urlsReported = true;
      // After the caller's turn: a client started in its owner's constructor would warn before anyone listens.
      queueMicrotask(() => {
        if (this.destroyed) return;
        for (const [url, problem] of this.rejectedUrls) this.warn('ERR_TRACKER_URL', `Ignoring tracker ${url}: ${problem}`, url);
      });
    }
    if (this.started) return;
    this.started = true;
    for (const tracker of this.trackers) tracker.socket.connect();
  }

  /** Each tracker as it is now, for people to read: URLs that were never usable are listed as failed. */
  status(): TrackerStatus[] {
    const out: TrackerStatus[] = this.rejectedUrls.map(([url, problem]) => ({ url, status: 'failed', error: problem }));
    for (const tracker of this.trackers) {
      const socket = tracker.socket.status;
      out.push(
        tracker.refused !== undefined && socket.status === 'connected'
          ? { url: tracker.url, status: 'failed', error: `refused: ${tracker.refused}` }
          : { url: tracker.url, ...socket },
      );
    }
    return out;
  }

  /** Announces to every connected tracker now (or as soon as its minimum interval allows). */
  announce(): void {
    this.assertAlive();
    for (const tracker of this.trackers) this.requestAnnounce(tracker);
  }

  /** Leaves the swarm: announces 'stopped' where connected, then closes. start() joins again. */
  stop(): void {
    this.assertAlive();
    if (!this.started) return;
    for (const tracker of this.trackers) if (tracker.socket.isOpen) this.send(tracker, 'stopped', []);
    this.shutDown();
  }

  /** Closes every socket, destroys channels not yet handed over and clears every timer. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.shutDown();
    this.destroyed = true;
    this.removeAllListeners();
  }

  private shutDown(): void {
    this.started = false;
    for (const tracker of this.trackers) {
      this.clearAnnounceTimer(tracker);
      tracker.socket.close();
      tracker.batch = undefined;
      tracker.again = false;
    }
    this.handshakes.destroy();
  }

  private createTracker(url: string, createWebSocket: (url: string) => WebSocketLike): Tracker {
    const tracker: Tracker = {
      url,
      socket: undefined as unknown as TrackerSocket,
      intervalMs: DEFAULT_INTERVAL_MS,
      floorMs: MIN_ANNOUNCE_MS,
      lastAnnounceAt: Number.NEGATIVE_INFINITY,
      again: false,
      startedSent: false,
      completedSent: false,
    };
    tracker.socket = new TrackerSocket(
      url,
      { createWebSocket, clock: this.clock, random: this.random },
      {
        open: () => this.onOpen(tracker),
        message: (data) => this.onMessage(tracker, data),
        lost: () => this.onLost(tracker),
        outage: (reason) => this.warn('ERR_TRACKER_UNREACHABLE', `Tracker ${url} is unreachable: ${reason}`, url),
      },
    );
    return tracker;
  }

  private onOpen(tracker: Tracker): void {
    this.log(`connected to ${tracker.url}`);
    // The tracker forgot us with the old socket: join again at once.
    tracker.startedSent = false;
    tracker.completedSent = false;
    tracker.lastAnnounceAt = Number.NEGATIVE_INFINITY;
    this.emit('connect', { url: tracker.url });
    this.requestAnnounce(tracker);
  }

  private onLost(tracker: Tracker): void {
    this.log(`lost ${tracker.url}`);
    this.clearAnnounceTimer(tracker);
    tracker.batch = undefined;
    tracker.again = false;
    // Answers to our offers, and our answers, travel over this socket only.
    this.handshakes.dropRoute(tracker);
    this.emit('disconnect', { url: tracker.url });
  }

  // ---- announcing ----

  private requestAnnounce(tracker: Tracker): void {
    if (!this.started || !tracker.socket.isOpen) return;
    if (tracker.batch) {
      tracker.again = true;
      return;
    }
    const wait = tracker.lastAnnounceAt + tracker.floorMs - this.clock.now();
    if (wait > 0) this.setAnnounceTimer(tracker, wait);
    else this.announceNow(tracker);
  }

  private announceNow(tracker: Tracker): void {
    this.clearAnnounceTimer(tracker);
    tracker.lastAnnounceAt = this.clock.now();
    const count = Math.max(
      0,
      Math.min(
        this.maxOffers,
        this.wantPeers() - this.handshakes.answering,
        // Offers of earlier announces may still be answered; keep their number bounded.
        this.maxOffers * 3 - this.handshakes.offersVia(tracker),
      ),
    );
    if (count === 0) {
      this.send(tracker, tracker.startedSent ? undefined : 'started', []);
      return;
    }
    const batch = {};
    tracker.batch = batch;
    this.handshakes.createOffers(tracker, count, (offers) => {
      // A batch outlived by its connection (lost, or stop()) is not sent.
      if (tracker.batch !== batch || !this.started || !tracker.socket.isOpen) {
        this.handshakes.discard(offers);
        return;
      }
      tracker.batch = undefined;
      this.send(tracker, tracker.startedSent ? undefined : 'started', offers);
      if (tracker.again) {
        tracker.again = false;
        this.requestAnnounce(tracker);
      }
    });
  }

  private send(tracker: Tracker, event: AnnounceEvent | undefined, offers: readonly ReadyOffer[]): void {
    const stats = this.stats();
    if (event === undefined && stats.left === 0 && !tracker.completedSent) event = 'completed';
    const sent = tracker.socket.send(
      encodeAnnounce({
        infoHash: this.infoHash,
        peerId: this.peerId,
        numwant: offers.length,
        uploaded: stats.uploaded,
        downloaded: stats.downloaded,
        left: stats.left,
        event,
        offers: event === 'stopped' ? undefined : offers,
        trackerId: tracker.trackerId,
      }),
    );
    if (!sent) {
      this.handshakes.discard(offers);
      return;
    }
    this.log(`announced to ${tracker.url}${event ? ` (${event})` : ''} with ${offers.length} offers`);
    this.handshakes.sent(offers);
    if (event === 'started') tracker.startedSent = true;
    // Joining with nothing left already counts us complete.
    if (event === 'completed' || (event === 'started' && stats.left === 0)) tracker.completedSent = true;
    if (event !== 'stopped') this.scheduleAnnounce(tracker);
  }

  /** The next regular announce: the tracker's interval, sooner while the pool wants peers, never below the floor. */
  private scheduleAnnounce(tracker: Tracker): void {
    if (tracker.batch) return;
    const base = this.wantPeers() > 0 ? Math.min(tracker.intervalMs, WANT_PEERS_ANNOUNCE_MS) : tracker.intervalMs;
    // Jitter only downwards, so the tracker's interval is never overrun.
    const delay = Math.max(tracker.floorMs, base * (0.8 + 0.2 * this.random()));
    this.setAnnounceTimer(tracker, tracker.lastAnnounceAt + delay - this.clock.now());
  }

  private setAnnounceTimer(tracker: Tracker, ms: number): void {
    this.clearAnnounceTimer(tracker);
    tracker.timer = this.clock.setTimeout(() => {
      tracker.timer = undefined;
      this.requestAnnounce(tracker);
    }, Math.max(0, ms));
  }

  private clearAnnounceTimer(tracker: Tracker): void {
    if (tracker.timer !== undefined) this.clock.clearTimeout(tracker.timer);
    tracker.timer = undefined;
  }

  // ---- messages ----

  private onMessage(tracker: Tracker, data: unknown): void {
    const frame = decodeFrame(data);
    if ('problem' in frame) {
      this.protocolWarning(tracker, `sent ${frame.problem}`);
      return;
    }
    const message = parseTrackerMessage(frame.text, this.infoHash);
    switch (message.kind) {
      case 'invalid':
        this.protocolWarning(tracker, message.reason);
        return;
      case 'failure':
        tracker.refused = message.reason;
        this.warn('ERR_TRACKER_REFUSED', `Tracker ${tracker.url} refused: ${message.reason}`, tracker.url);
        return;
      case 'response':
        this.onResponse(tracker, message);
        return;
      case 'offer':
      case 'answer':
        if (message.peerId === this.peerId) {
          this.protocolWarning(tracker, `relayed our own ${message.kind} back to us`);
        } else if (message.kind === 'offer') {
          this.onOffer(tracker, message.peerId, message.offerId, message.offer);
        } else if (this.handshakes.answer(tracker, binaryToHex(message.peerId), message.offerId, message.answer) === 'unknown') {
          this.protocolWarning(tracker, 'sent an answer to an offer we do not have (or no longer have)');
        }
        return;
    }
  }

  private onResponse(tracker: Tracker, message: Extract<TrackerMessage, { kind: 'response' }>): void {
    tracker.socket.healthy();
    tracker.refused = undefined;
    if (message.warning) this.log(`${tracker.url} says: ${message.warning}`);
    if (message.trackerId !== undefined) tracker.trackerId = message.trackerId;
    const before = [tracker.floorMs, tracker.intervalMs];
    if (message.minInterval !== undefined) {
      tracker.floorMs = clamp(message.minInterval * 1000, MIN_ANNOUNCE_MS, MAX_INTERVAL_MS);
    }
    if (message.interval !== undefined) {
      tracker.intervalMs = clamp(message.interval * 1000, tracker.floorMs, MAX_INTERVAL_MS);
    }
    const changed = before[0] !== tracker.floorMs || before[1] !== tracker.intervalMs;
    if (changed && tracker.timer !== undefined) this.scheduleAnnounce(tracker);
    if (message.complete !== undefined || message.incomplete !== undefined) {
      this.emit('update', { url: tracker.url, complete: message.complete, incomplete: message.incomplete });
    }
  }

  /** A relayed offer: answered only when the pool wants a peer it neither has nor is already answering. */
  private onOffer(tracker: Tracker, peerId: string, offerId: string, offer: SignalData): void {
    const peerIdHex = binaryToHex(peerId);
    if (this.hasPeer(peerIdHex) || this.handshakes.isAnswering(peerIdHex)) return;
    const answering = this.handshakes.answering;
    if (this.wantPeers() - answering <= 0 || answering >= (this.options.maxAnswering ?? Math.max(1, this.maxOffers) * 2)) {
      this.log(`not answering ${peerIdHex.slice(0, 8)}: enough peers`);
      return;
    }
    this.handshakes.acceptOffer(tracker, peerIdHex, offer, (answer) =>
      tracker.socket.send(
        encodeAnswer({ infoHash: this.infoHash, peerId: this.peerId, toPeerId: peerId, answer, offerId, trackerId: tracker.trackerId }),
      ),
    );
  }

  // ---- the caller's callbacks, guarded ----

  private wantPeers(): number {
    const value = this.callOut(() => this.options.wantPeers(), 'options.wantPeers()');
    return typeof value === 'number' && value > 0 ? Math.floor(value) : 0;
  }

  private hasPeer(peerIdHex: string): boolean {
    // When the pool cannot tell, assume it has the peer rather than connect twice.
    return this.callOut(() => this.options.hasPeer(peerIdHex), 'options.hasPeer()') ?? true;
  }

  private stats(): { uploaded: number; downloaded: number; left?: number } {
    const stats = this.options.stats ? this.callOut(this.options.stats, 'options.stats()') : undefined;
    return { uploaded: count(stats?.uploaded) ?? 0, downloaded: count(stats?.downloaded) ?? 0, left: count(stats?.left) };
  }

  private callOut<T>(fn: () => T, name: string): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.onCallbackError(error, name);
      return undefined;
    }
  }

  private onCallbackError(error: unknown, what: string): void {
    const message = `${what} threw: ${error instanceof Error ? error.message : String(error)}`;
    // A throwing 'warning' listener must not report itself forever.
    if (this.reportingListenerError) {
      this.log(message);
      return;
    }
    this.reportingListenerError = true;
    try {
      this.warn('ERR_LISTENER', message, '');
    } finally {
      this.reportingListenerError = false;
    }
  }

  private protocolWarning(tracker: Tracker, reason: string): void {
    this.warn('ERR_TRACKER_PROTOCOL', `Tracker ${tracker.url} ${reason}; ignored`, tracker.url);
  }

  private warn(code: TrackerErrorCode, message: string, url: string): void {
    this.log(`warning ${code}: ${message}`);
    this.emit('warning', new TrackerError(code, message, url));
  }

  private assertAlive(): void {
    if (this.destroyed) throw Object.assign(new Error('TrackerClient is destroyed'), { code: 'ERR_DESTROYED' });
  }
}

/** A byte count from the caller, or undefined when it is not one. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? Math.floor(value) : undefined;
}

function checkUrl(raw: string): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'not a URL' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return { problem: 'not a ws:// or wss:// URL' };
  return url.href;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

const defaultClock: Clock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

function defaultCreateWebSocket(): (url: string) => WebSocketLike {
  const WebSocketClass = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!WebSocketClass) throw new TypeError('no WebSocket in this environment: pass options.createWebSocket');
  return (url) => new WebSocketClass(url);
}
