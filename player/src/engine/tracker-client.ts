/**
 * Finds peers for one swarm through WebTorrent trackers: announces to every tracker URL at once, sends WebRTC
 * offers through them and answers the offers they relay. A channel is handed over ('peer') once its
 * offer/answer exchange is done; until then this class owns it and destroys it when it goes nowhere.
 */
import type { PeerChannel, PeerChannelEvents, SignalData, Transport } from './transport.ts';
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
  /** Unanswered offers are destroyed after this; so are answered-by-us channels that never connect. Default 50 s. */
  offerTimeoutMs?: number;
  /** Giving up on a channel that never produces its offer/answer. Default 10 s. */
  signalTimeoutMs?: number;
  /** `left: 0` makes us a seeder: 'completed' is announced once. Without `left` the tracker counts us incomplete. */
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
  /** A listener of this client threw. */
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

export interface TrackerClientEventMap {
  /** The pool owns `channel` from now on. */
  peer: { channel: PeerChannel; peerId: string; initiator: boolean };
  warning: TrackerError;
  update: { url: string; complete?: number; incomplete?: number };
  connect: { url: string };
  disconnect: { url: string };
}

type Listener<E extends keyof TrackerClientEventMap> = (payload: TrackerClientEventMap[E]) => void;

/** Re-announce this often while the pool wants peers, unless the tracker asks for less. */
export const WANT_PEERS_ANNOUNCE_MS = 20_000;
/** Never announce to one tracker more often than this (nor than its `min interval`). */
export const MIN_ANNOUNCE_MS = 5_000;
const DEFAULT_INTERVAL_MS = 120_000;
const MAX_INTERVAL_MS = 60 * 60_000;

interface TrackerState {
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
}

/** A channel of ours not yet handed over. */
interface Pending {
  channel: PeerChannel;
  tracker: TrackerState;
  timer?: unknown;
  detach: () => void;
}

interface PendingOffer extends Pending {
  offerId: string;
  offer?: SignalData;
  /** Sent to the tracker; an answer may come. */
  sent: boolean;
  /** Tells the announce waiting for this offer that it is ready or gone. */
  settle: () => void;
}

interface PendingAnswer extends Pending {
  peerIdHex: string;
  /** Our answer went out; waiting for the channel to connect. */
  answered: boolean;
}

export class TrackerClient {
  private readonly options: TrackerClientOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  private readonly infoHash: string;
  private readonly peerId: string;
  private readonly peerIdHex: string;
  private readonly maxOffers: number;
  private readonly trackers: TrackerState[] = [];
  private readonly rejectedUrls: [url: string, reason: string][] = [];
  private readonly offers = new Map<string, PendingOffer>();
  private readonly answers = new Map<string, PendingAnswer>();
  private readonly listeners = new Map<keyof TrackerClientEventMap, Set<(payload: never) => void>>();
  private started = false;
  private destroyed = false;
  private urlsReported = false;
  private offerCount = 0;

  constructor(options: TrackerClientOptions) {
    if (options.infoHash.length !== 20) throw new TypeError('infoHash must be 20 bytes');
    if (options.peerId.length !== 20) throw new TypeError('peerId must be 20 bytes');
    const createWebSocket = options.createWebSocket ?? defaultCreateWebSocket();
    this.options = options;
    this.clock = options.clock ?? defaultClock;
    this.random = options.random ?? Math.random;
    this.infoHash = bytesToBinary(options.infoHash);
    this.peerId = bytesToBinary(options.peerId);
    this.peerIdHex = bytesToHex(options.peerId);
    this.maxOffers = Math.max(0, Math.floor(options.maxOffers ?? 5));
    const logger = options.logger;
    const prefix = `tracker-client ${bytesToHex(options.infoHash).slice(0, 8)}: `;
    this.log = logger ? (line) => logger(prefix + line) : () => {};

    const seen = new Set<string>();
    for (const raw of options.urls) {
      const url = checkUrl(raw);
      if (typeof url !== 'string') {
        this.rejectedUrls.push([raw, url.problem]);
      } else if (!seen.has(url)) {
        seen.add(url);
        this.trackers.push(this.createTracker(url, createWebSocket));
      }
    }
  }

  on<E extends keyof TrackerClientEventMap>(event: E, listener: Listener<E>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
  }

  off<E extends keyof TrackerClientEventMap>(event: E, listener: Listener<E>): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  once<E extends keyof TrackerClientEventMap>(event: E, listener: Listener<E>): void {
    const wrapper: Listener<E> = (payload) => {
      this.off(event, wrapper);
      listener(payload);
    };
    this.on(event, wrapper);
  }

  /** Connects to every tracker and joins the swarm. Calling it again while started does nothing. */
  start(): void {
    this.assertAlive();
    if (!this.urlsReported) {
      this.urlsReported = true;
      for (const [url, problem] of this.rejectedUrls) {
        this.warn('ERR_TRACKER_URL', `Ignoring tracker ${url}: ${problem}`, url);
      }
    }
    if (this.started) return;
    this.started = true;
    for (const tracker of this.trackers) tracker.socket.connect();
  }

  /** Announces to every connected tracker now (or as soon as its minimum interval allows). */
  announce(): void {
    this.assertAlive();
    if (!this.started) return;
    for (const tracker of this.trackers) this.requestAnnounce(tracker);
  }

  /** Leaves the swarm: announces 'stopped' where connected, then closes. start() joins again. */
  stop(): void {
    this.assertAlive();
    if (!this.started) return;
    for (const tracker of this.trackers) {
      if (tracker.socket.isOpen) this.send(tracker, 'stopped', []);
    }
    this.shutDown();
  }

  /** Closes every socket, destroys channels not yet handed over and clears every timer. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.shutDown();
    this.destroyed = true;
    this.listeners.clear();
  }

  private shutDown(): void {
    this.started = false;
    for (const tracker of this.trackers) {
      this.clearAnnounceTimer(tracker);
      tracker.socket.close();
      tracker.batch = undefined;
      tracker.again = false;
    }
    for (const offer of [...this.offers.values()]) this.dropOffer(offer);
    for (const answer of [...this.answers.values()]) this.dropAnswer(answer);
  }

  private createTracker(url: string, createWebSocket: (url: string) => WebSocketLike): TrackerState {
    const tracker: TrackerState = {
      url,
      intervalMs: DEFAULT_INTERVAL_MS,
      floorMs: MIN_ANNOUNCE_MS,
      lastAnnounceAt: Number.NEGATIVE_INFINITY,
      again: false,
      startedSent: false,
      completedSent: false,
      socket: undefined as unknown as TrackerSocket,
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

  private onOpen(tracker: TrackerState): void {
    this.log(`connected to ${tracker.url}`);
    // The tracker forgot us with the old socket: join again at once.
    tracker.startedSent = false;
    tracker.completedSent = false;
    tracker.lastAnnounceAt = Number.NEGATIVE_INFINITY;
    this.emit('connect', { url: tracker.url });
    this.requestAnnounce(tracker);
  }

  private onLost(tracker: TrackerState): void {
    this.log(`lost ${tracker.url}`);
    this.clearAnnounceTimer(tracker);
    tracker.batch = undefined;
    tracker.again = false;
    // Answers to our offers, and our answers, travel over this socket only.
    for (const offer of [...this.offers.values()]) if (offer.tracker === tracker) this.dropOffer(offer);
    for (const answer of [...this.answers.values()]) {
      if (answer.tracker === tracker && !answer.answered) this.dropAnswer(answer);
    }
    this.emit('disconnect', { url: tracker.url });
  }

  // ---- announcing ----

  private requestAnnounce(tracker: TrackerState): void {
    if (!this.started || !tracker.socket.isOpen) return;
    if (tracker.batch) {
      tracker.again = true;
      return;
    }
    const wait = tracker.lastAnnounceAt + tracker.floorMs - this.clock.now();
    if (wait > 0) {
      this.setAnnounceTimer(tracker, wait);
      return;
    }
    this.announceNow(tracker);
  }

  private announceNow(tracker: TrackerState): void {
    this.clearAnnounceTimer(tracker);
    tracker.lastAnnounceAt = this.clock.now();
    const pendingHere = [...this.offers.values()].filter((offer) => offer.tracker === tracker).length;
    const count = Math.max(
      0,
      Math.min(
        this.maxOffers,
        this.wantPeers() - this.answers.size,
        // Offers of earlier announces may still be answered; keep their number bounded.
        this.maxOffers * 3 - pendingHere,
      ),
    );
    const event: AnnounceEvent | undefined = tracker.startedSent ? undefined : 'started';
    if (count === 0) {
      this.send(tracker, event, []);
      return;
    }
    const batch = {};
    tracker.batch = batch;
    this.createOffers(tracker, count, (offers) => {
      // A batch outlived by a lost connection or stop() is not sent.
      if (tracker.batch !== batch || !this.started || !tracker.socket.isOpen) {
        for (const offer of offers) this.dropOffer(offer);
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

  private send(tracker: TrackerState, event: AnnounceEvent | undefined, offers: PendingOffer[]): void {
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
        offers: event === 'stopped' ? undefined : offers.map(({ offer, offerId }) => ({ offer: offer as SignalData, offerId })),
        trackerId: tracker.trackerId,
      }),
    );
    if (!sent) {
      for (const offer of offers) this.dropOffer(offer);
      return;
    }
    this.log(`announced to ${tracker.url}${event ? ` (${event})` : ''} with ${offers.length} offers`);
    if (event === 'started') tracker.startedSent = true;
    // Joining with nothing left already counts us complete.
    if (event === 'completed' || (event === 'started' && stats.left === 0)) tracker.completedSent = true;
    for (const offer of offers) {
      offer.sent = true;
      offer.timer = this.clock.setTimeout(() => {
        this.log('an offer went unanswered');
        this.dropOffer(offer);
      }, this.options.offerTimeoutMs ?? 50_000);
    }
    if (event !== 'stopped') this.scheduleAnnounce(tracker);
  }

  /** The next regular announce: the tracker's interval, sooner while the pool wants peers, never below the floor. */
  private scheduleAnnounce(tracker: TrackerState): void {
    if (tracker.batch) return;
    const wanted = this.wantPeers() > 0;
    const base = wanted ? Math.min(tracker.intervalMs, WANT_PEERS_ANNOUNCE_MS) : tracker.intervalMs;
    // Jitter only downwards, so the tracker's interval is never overrun.
    const delay = Math.max(tracker.floorMs, base * (0.8 + 0.2 * this.random()));
    this.setAnnounceTimer(tracker, tracker.lastAnnounceAt + delay - this.clock.now());
  }

  private setAnnounceTimer(tracker: TrackerState, ms: number): void {
    this.clearAnnounceTimer(tracker);
    tracker.timer = this.clock.setTimeout(() => {
      tracker.timer = undefined;
      this.requestAnnounce(tracker);
    }, Math.max(0, ms));
  }

  private clearAnnounceTimer(tracker: TrackerState): void {
    if (tracker.timer !== undefined) this.clock.clearTimeout(tracker.timer);
    tracker.timer = undefined;
  }

  // ---- our offers ----

  /** Calls `done` once every new channel produced its offer or was given up. */
  private createOffers(tracker: TrackerState, count: number, done: (offers: PendingOffer[]) => void): void {
    const batch: PendingOffer[] = [];
    let unsettled = count;
    const settleOne = (): void => {
      unsettled -= 1;
      if (unsettled === 0) done(batch.filter((offer) => offer.offer && this.offers.get(offer.offerId) === offer));
    };
    for (let i = 0; i < count; i++) {
      let channel: PeerChannel;
      try {
        channel = this.options.transport.createPeer({ initiator: true });
      } catch (error) {
        this.log(`cannot create a peer channel: ${(error as Error).message}`);
        settleOne();
        continue;
      }
      let settled = false;
      const offer: PendingOffer = {
        channel,
        tracker,
        offerId: this.newOfferId(),
        sent: false,
        detach: () => {},
        settle: () => {
          if (settled) return;
          settled = true;
          settleOne();
        },
      };
      offer.detach = listen(channel, {
        signal: (data) => {
          if (offer.offer || this.offers.get(offer.offerId) !== offer) return;
          offer.offer = data;
          this.clearTimer(offer);
          offer.settle();
        },
        close: () => this.dropOffer(offer),
        error: (error) => {
          this.log(`an offer channel failed: ${error.message}`);
          this.dropOffer(offer);
        },
      });
      offer.timer = this.clock.setTimeout(() => {
        this.log('a channel produced no offer in time');
        this.dropOffer(offer);
      }, this.options.signalTimeoutMs ?? 10_000);
      this.offers.set(offer.offerId, offer);
      batch.push(offer);
    }
  }

  private onAnswer(tracker: TrackerState, peerId: string, offerId: string, answer: SignalData): void {
    const offer = this.offers.get(offerId);
    if (!offer || !offer.sent || offer.tracker !== tracker) {
      this.protocolWarning(tracker, 'sent an answer to an offer we do not have (or no longer have)');
      return;
    }
    const peerIdHex = binaryToHex(peerId);
    if (false && this.hasPeer(peerIdHex)) {
      this.log(`dropping an answer from ${peerIdHex.slice(0, 8)}: already a peer`);
      this.dropOffer(offer);
      return;
    }
    const crossing = this.answers.get(peerIdHex);
    if (crossing) {
      // We answered their offer and they answered ours: both sides keep the channel offered by the smaller id.
      if (this.peerIdHex < peerIdHex) {
        this.dropAnswer(crossing);
      } else {
        this.dropOffer(offer);
        return;
      }
    }
    this.offers.delete(offerId);
    this.clearTimer(offer);
    offer.detach();
    this.emit('peer', { channel: offer.channel, peerId: peerIdHex, initiator: true });
    try {
      offer.channel.signal(answer);
    } catch (error) {
      this.log(`the answer of ${peerIdHex.slice(0, 8)} was refused: ${(error as Error).message}`);
      offer.channel.destroy();
    }
  }

  // ---- their offers ----

  private onOffer(tracker: TrackerState, peerId: string, offerId: string, offer: SignalData): void {
    const peerIdHex = binaryToHex(peerId);
    if (this.hasPeer(peerIdHex) || this.answers.has(peerIdHex)) return;
    if (this.wantPeers() - this.answers.size <= 0 || this.answers.size >= Math.max(1, this.maxOffers) * 2) {
      this.log(`not answering ${peerIdHex.slice(0, 8)}: enough peers`);
      return;
    }
    let channel: PeerChannel;
    try {
      channel = this.options.transport.createPeer({ initiator: false });
    } catch (error) {
      this.log(`cannot create a peer channel: ${(error as Error).message}`);
      return;
    }
    const pending: PendingAnswer = { channel, tracker, peerIdHex, answered: false, detach: () => {} };
    pending.detach = listen(channel, {
      signal: (answer) => {
        if (pending.answered || this.answers.get(peerIdHex) !== pending) return;
        const sent = tracker.socket.send(
          encodeAnswer({ infoHash: this.infoHash, peerId: this.peerId, toPeerId: peerId, answer, offerId, trackerId: tracker.trackerId }),
        );
        if (!sent) {
          this.dropAnswer(pending);
          return;
        }
        pending.answered = true;
        this.clearTimer(pending);
        pending.timer = this.clock.setTimeout(() => {
          this.log(`the channel to ${peerIdHex.slice(0, 8)} never connected`);
          this.dropAnswer(pending);
        }, this.options.offerTimeoutMs ?? 50_000);
      },
      // Handed over on connect, not on answering: until then a crossing offer may still replace it.
      connect: () => {
        if (this.answers.get(peerIdHex) !== pending) return;
        this.answers.delete(peerIdHex);
        this.clearTimer(pending);
        pending.detach();
        this.emit('peer', { channel, peerId: peerIdHex, initiator: false });
      },
      close: () => this.dropAnswer(pending),
      error: (error) => {
        this.log(`the channel to ${peerIdHex.slice(0, 8)} failed: ${error.message}`);
        this.dropAnswer(pending);
      },
    });
    pending.timer = this.clock.setTimeout(() => {
      this.log('a channel produced no answer in time');
      this.dropAnswer(pending);
    }, this.options.signalTimeoutMs ?? 10_000);
    this.answers.set(peerIdHex, pending);
    try {
      channel.signal(offer);
    } catch (error) {
      this.log(`the offer of ${peerIdHex.slice(0, 8)} was refused: ${(error as Error).message}`);
      this.dropAnswer(pending);
    }
  }

  // ---- messages ----

  private onMessage(tracker: TrackerState, data: unknown): void {
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
        this.warn('ERR_TRACKER_REFUSED', `Tracker ${tracker.url} refused: ${message.reason}`, tracker.url);
        return;
      case 'offer':
      case 'answer':
        if (message.peerId === this.peerId) {
          this.protocolWarning(tracker, `relayed our own ${message.kind} back to us`);
        } else if (message.kind === 'offer') {
          this.onOffer(tracker, message.peerId, message.offerId, message.offer);
        } else {
          this.onAnswer(tracker, message.peerId, message.offerId, message.answer);
        }
        return;
      case 'response':
        this.onResponse(tracker, message);
        return;
    }
  }

  private onResponse(tracker: TrackerState, message: Extract<TrackerMessage, { kind: 'response' }>): void {
    tracker.socket.healthy();
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

  // ---- helpers ----

  private dropOffer(offer: PendingOffer): void {
    if (this.offers.get(offer.offerId) === offer) this.offers.delete(offer.offerId);
    this.release(offer);
    offer.settle();
  }

  private dropAnswer(answer: PendingAnswer): void {
    if (this.answers.get(answer.peerIdHex) === answer) this.answers.delete(answer.peerIdHex);
    this.release(answer);
  }

  private release(pending: Pending): void {
    this.clearTimer(pending);
    pending.detach();
    pending.detach = () => {};
    try {
      pending.channel.destroy();
    } catch {
      // A channel that cannot be destroyed twice is already gone.
    }
  }

  private clearTimer(pending: Pending): void {
    if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer);
    pending.timer = undefined;
  }

  /** Random bytes, with a counter in the last four so that a poor random source cannot repeat an id. */
  private newOfferId(): string {
    const bytes = new Uint8Array(20);
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(this.random() * 256) & 0xff;
    this.offerCount = (this.offerCount + 1) >>> 0;
    new DataView(bytes.buffer).setUint32(16, this.offerCount);
    return bytesToBinary(bytes);
  }

  private wantPeers(): number {
    const value = this.callOut(() => this.options.wantPeers(), 'wantPeers');
    return typeof value === 'number' && value > 0 ? Math.floor(value) : 0;
  }

  private hasPeer(peerIdHex: string): boolean {
    // When the pool cannot tell, assume it has the peer rather than connect twice.
    return this.callOut(() => this.options.hasPeer(peerIdHex), 'hasPeer') ?? true;
  }

  private stats(): { uploaded: number; downloaded: number; left?: number } {
    const stats = this.options.stats ? this.callOut(this.options.stats, 'stats') : undefined;
    const count = (value: unknown): number => (typeof value === 'number' && value >= 0 && Number.isFinite(value) ? Math.floor(value) : 0);
    const left = stats?.left;
    return {
      uploaded: count(stats?.uploaded),
      downloaded: count(stats?.downloaded),
      left: typeof left === 'number' && left >= 0 && Number.isFinite(left) ? Math.floor(left) : undefined,
    };
  }

  private callOut<T>(fn: () => T, name: string): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.warn('ERR_LISTENER', `options.${name}() threw: ${(error as Error).message}`, '');
      return undefined;
    }
  }

  private protocolWarning(tracker: TrackerState, reason: string): void {
    this.warn('ERR_TRACKER_PROTOCOL', `Tracker ${tracker.url} ${reason}; ignored`, tracker.url);
  }

  private warn(code: TrackerErrorCode, message: string, url: string): void {
    this.log(`warning ${code}: ${message}`);
    this.emit('warning', new TrackerError(code, message, url));
  }

  private emit<E extends keyof TrackerClientEventMap>(event: E, payload: TrackerClientEventMap[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set] as Listener<E>[]) {
      try {
        listener(payload);
      } catch (error) {
        if (event === 'warning') {
          this.log(`a 'warning' listener threw: ${(error as Error).message}`);
        } else {
          this.warn('ERR_LISTENER', `A '${event}' listener threw: ${(error as Error).message}`, '');
        }
      }
    }
  }

  private assertAlive(): void {
    if (this.destroyed) throw Object.assign(new Error('TrackerClient is destroyed'), { code: 'ERR_DESTROYED' });
  }
}

/** Adds listeners to a channel and returns the function that removes exactly those. */
function listen(channel: PeerChannel, handlers: Partial<PeerChannelEvents>): () => void {
  const entries = Object.entries(handlers) as [keyof PeerChannelEvents, PeerChannelEvents[keyof PeerChannelEvents]][];
  for (const [event, handler] of entries) channel.on(event, handler);
  return () => {
    for (const [event, handler] of entries) channel.off(event, handler);
  };
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
