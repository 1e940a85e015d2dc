import { Emitter } from './emitter.ts';
import { infoHashOf, randomPeerId, toHex } from './info-hash.ts';
import type { EngineDetails } from './details.ts';
import { acceptAll, type SegmentVerifier, type VerifiedSegment } from './integrity.ts';
import { isStaleLive, LIVE_WINDOW_MARGIN } from './live-window.ts';
import type { PeerSession } from './peer-session.ts';
import {
  choosePrefetch,
  chooseSource,
  DEFAULT_SCHEDULER_CONFIG,
  discoveryWaitMs,
  hashWaitMs,
  isBehind,
  swarmWaitMs,
  type SchedulerConfig,
} from './scheduler.ts';
import { SegmentStore } from './segment-store.ts';
import { emptyStats, type P2PStats } from './stats.ts';
import { Swarm, type SwarmSegments } from './swarm.ts';
import type { WebSocketLike } from './tracker-client.ts';
import type { Transport } from './transport.ts';
import { UnverifiedCopies } from './unverified-copies.ts';
import { isU32 } from '../protocol/messages.ts';

export interface EngineEnvironment {
  transport: Transport;
  createWebSocket?: (url: string) => WebSocketLike;
  now?: () => number;
  random?: () => number;
  logger?: (line: string) => void;
}

export interface EngineOptions {
  /** The multivariant playlist URL; renditions are named by their playlist's path relative to it. */
  baseUrl: string;
  /** False in download-only mode. */
  uploads: boolean;
  /** Where the viewer is on the stream's timeline, seconds. */
  playhead: () => number;
  maxPeers?: number;
  storeMaxBytes?: number;
  scheduler?: Partial<SchedulerConfig>;
}

/** Where the swarm is: settled once the element has read the attributes and the stream's swarm metadata. */
export interface SwarmConfig {
  /** Names the stream across viewers (default in the element: the playlist URL without query). */
  swarmId: string;
  trackers: string[];
  /**
   * Checks every segment from a peer before the player gets it, and every segment before it is shared. The
   * element passes the site's hash manifest (or, for `p2p="unverified"`, acceptAll). Default acceptAll.
   */
  verifier?: SegmentVerifier;
  /** Check segments from the origin too before the player gets them (a mismatch fails the load: hls.js retries). */
  verifyHttp?: boolean;
}

export interface SegmentInfo {
  /** URL of the rendition's media playlist. */
  levelUrl: string;
  sn: number;
  url: string;
  /** For a byte-range segment: where it is within `url`. */
  range?: { offset: number; length: number };
  start: number;
  duration: number;
  expectedBytes: number;
  /** Segments after this one that the player will want soon (within its forward buffer), for prefetching. */
  next?: UpcomingSegment[];
}

export interface UpcomingSegment {
  sn: number;
  url: string;
  range?: { offset: number; length: number };
  start: number;
  duration: number;
}

export type PeerOutcome =
  | { status: 'ok'; bytes: Uint8Array; peerId: string }
  | { status: 'fallback'; partial: Uint8Array; total: number | undefined; reason: string };

export type FetchPlan =
  /** The engine was destroyed while planning: its player is gone, and nothing should be fetched for it. */
  | { kind: 'gone' }
  | { kind: 'store'; bytes: Uint8Array }
  | { kind: 'peer'; peerId: string; outcome: Promise<PeerOutcome>; abort(): void }
  | { kind: 'http'; reason: string };

export interface EngineWarning {
  code: string;
  message: string;
  fatal: false;
}

export interface EngineEvents {
  stats: (stats: P2PStats) => void;
  peerconnect: (event: { id: string; swarm: string }) => void;
  peerclose: (event: { id: string; swarm: string; reason: string }) => void;
  warning: (warning: EngineWarning) => void;
  /** Bytes from a peer did not match the site's hash: dropped, and the peer banned. */
  segmentrejected: (event: { url: string; peer: string; reason: string }) => void;
}

const DEFAULT_MAX_PEERS = 20;
const WATCH_MS = 100;
const PREFETCH_WINDOW = 3;
const PREFETCH_INFLIGHT = 2;
/** Refreshes of the hash manifest one segment may wait through for its hash. */
const HASH_WAIT_ROUNDS = 2;

/**
 * The swarm side of one stream: a swarm per rendition, the segment store, and the decision for each segment the
 * player asks for: from the store, from a peer in time, or over HTTP. Knows nothing of players or DOM.
 */
export class P2PEngine extends Emitter<EngineEvents> {
  readonly peerId: Uint8Array;
  private readonly env: Required<Pick<EngineEnvironment, 'now' | 'random' | 'logger'>> & EngineEnvironment;
  private readonly options: EngineOptions;
  private readonly store: SegmentStore;
  private readonly swarms = new Map<string, Promise<Swarm | undefined>>();
  private readonly live = new Set<Swarm>();
  private readonly ready = new Map<string, Swarm>();
  private readonly prefetches = new Map<string, Promise<void>>();
  private readonly banned = new Set<string>();
  /** Segments each peer sent that failed the hash check, by swarm and peer (for details()). */
  private readonly rejectedBy = new Map<string, number>();
  /** Live renditions: the first sn their playlist still lists, by swarm key. */
  private readonly liveWindows = new Map<string, number>();
  /** Segments from the origin whose hash was not published yet (live): shared once it is. */
  private readonly unverified = new UnverifiedCopies<SegmentInfo>();
  private unwatchVerifier: (() => void) | undefined;
  /** Bytes per second the origin delivered segments at (moving average), once measured. */
  private httpRate: number | undefined;
  private readonly scheduler: SchedulerConfig;
  private verifier: SegmentVerifier = acceptAll;
  private readonly counters: P2PStats = emptyStats();
  private swarmConfig: SwarmConfig | undefined;
  /** Set while the element is still reading the stream's swarm metadata; settles with configure() or giveUp(). */
  private pendingConfig: { promise: Promise<void>; settle: () => void } | undefined;
  private destroyed = false;

  constructor(env: EngineEnvironment, options: EngineOptions) {
    super();
    this.env = { now: () => performance.now(), random: Math.random, logger: () => {}, ...env };
    this.options = options;
    this.peerId = randomPeerId(this.env.random);
    this.scheduler = { ...DEFAULT_SCHEDULER_CONFIG, ...options.scheduler };
    this.store = new SegmentStore({ maxBytes: options.storeMaxBytes, playhead: options.playhead });
    this.onListenerError = (error) => this.warn('ERR_LISTENER', `a listener threw: ${String(error)}`);
  }

  get stats(): P2PStats {
    let peers = 0;
    for (const swarm of this.live) peers += swarm.peerCount;
    return { ...this.counters, peers };
  }

  /** The swarms, their trackers and every connected peer as they are now, as plain objects (see details.ts). */
  details(): EngineDetails {
    const swarms = [...this.ready.values()];
    const rejected = (key: string) => (id: string) => this.rejectedBy.get(`${key}\u0000${id}`) ?? 0;
    return {
      swarmId: this.swarmConfig?.swarmId,
      peerId: toHex(this.peerId),
      swarms: swarms.map((swarm) => swarm.details()),
      peers: swarms.flatMap((swarm) => swarm.peerDetails(rejected(swarm.key))),
    };
  }

  /** Names a rendition by its playlist's path relative to the multivariant playlist (stable across hosts). */
  renditionKey(levelUrl: string): string {
    const strip = (u: string): string => u.split(/[?#]/, 1)[0];
    const base = strip(this.options.baseUrl);
    const dir = base.slice(0, base.lastIndexOf('/') + 1);
    const level = strip(levelUrl);
    return level.startsWith(dir) ? level.slice(dir.length) : level;
  }

  /** Starts joining swarms; until then (and without trackers) every segment comes over HTTP. */
  configure(config: SwarmConfig): void {
    if (this.swarmConfig) throw new Error('P2PEngine.configure may be called once');
    this.swarmConfig = { swarmId: config.swarmId, trackers: [...config.trackers], verifyHttp: config.verifyHttp === true };
    this.verifier = config.verifier ?? acceptAll;
    this.unwatchVerifier = this.verifier.watch?.(() => this.recheckUnverified());
    this.giveUp();
  }

  /**
   * Says that configure() (or giveUp()) is coming: until then a segment not needed at once may wait a little for
   * the swarm rather than go to the origin, as it would for peers still connecting.
   */
  expectConfig(): void {
    if (this.swarmConfig || this.pendingConfig) return;
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    this.pendingConfig = { promise, settle };
  }

  /** No swarm for this stream after all (no tracker, no hash manifest): everything goes over HTTP. */
  giveUp(): void {
    this.pendingConfig?.settle();
    this.pendingConfig = undefined;
  }

  /** Leaves every swarm for good (the hash manifest turned out unusable, say): every segment now comes over HTTP. */
  leave(): void {
    this.giveUp();
    if (this.swarmConfig) this.swarmConfig = { ...this.swarmConfig, trackers: [] };
    for (const swarm of this.live) swarm.destroy();
    this.live.clear();
    this.ready.clear();
    this.swarms.clear();
    this.changed();
  }

  /** Whether the swarm settings are still being read (see expectConfig). */
  get configuring(): boolean {
    return this.pendingConfig !== undefined && !this.swarmConfig;
  }

  get configured(): boolean {
    return this.swarmConfig !== undefined && this.swarmConfig.trackers.length > 0;
  }

  /** Joins the swarm of a rendition ahead of its first segment, so peers are there when it is asked for. */
  join(levelUrl: string): void {
    void this.swarmFor(this.renditionKey(levelUrl));
  }

  /**
   * A live rendition's playlist now starts at `startSN`: segments well before it, or long behind the playhead, leave
   * the store, and peers are told they are gone (a `have` naming them removed). A window that moves back means the
   * encoder numbered its segments from the start again: nothing held is of the new stream.
   */
  setLiveWindow(levelUrl: string, startSN: number): void {
    if (this.destroyed || !Number.isFinite(startSN)) return;
    const key = this.renditionKey(levelUrl);
    const previous = this.liveWindows.get(key);
    const restarted = previous !== undefined && startSN < previous - LIVE_WINDOW_MARGIN;
    this.liveWindows.set(key, startSN);
    const playhead = this.options.playhead();
    for (const sn of this.store.held(key)) {
      const segment = this.store.get({ swarm: key, sn });
      if (segment && (restarted || isStaleLive(segment, startSN, playhead))) this.store.delete(segment);
    }
    this.unverified.prune((copy) => copy.swarm === key && (restarted || isStaleLive(copy.info, startSN, playhead)));
  }

  /** Decides where one segment comes from and, for a peer, starts the transfer. */
  async plan(info: SegmentInfo): Promise<FetchPlan> {
    if (this.destroyed) return { kind: 'gone' };
    // The wire names a segment by a u32: a stream numbered past it (or below 0) plays from the origin alone.
    if (!isU32(info.sn)) return { kind: 'http', reason: 'sequence number does not fit the wire' };
    const key = this.renditionKey(info.levelUrl);
    const held = this.store.get({ swarm: key, sn: info.sn });
    if (held) return { kind: 'store', bytes: held.bytes };
    const prefetching = this.prefetches.get(`${key}\u0000${info.sn}`);
    if (prefetching) {
      await prefetching;
      const fetched = this.store.get({ swarm: key, sn: info.sn });
      if (fetched) return { kind: 'store', bytes: fetched.bytes };
    }
    if (this.pendingConfig) {
      // Still reading the swarm metadata: a segment needed later waits a share of its slack for it.
      const slackMs = Math.max(0, info.start - this.options.playhead()) * 1000;
      const waitMs = discoveryWaitMs(slackMs, info.expectedBytes, this.httpRate);
      if (waitMs >= 50) await Promise.race([this.pendingConfig.promise, new Promise((r) => setTimeout(r, waitMs))]);
      if (this.destroyed) return { kind: 'gone' };
    }
    const swarm = await this.swarmFor(key);
    if (!swarm) return { kind: 'http', reason: 'no swarm' };
    // Only what can be checked is asked of peers; a live segment may wait a moment for its hash to be published.
    if (!this.verifier.covers(info)) {
      await this.awaitHash(info);
      if (this.destroyed) return { kind: 'gone' };
      if (!this.verifier.covers(info)) return { kind: 'http', reason: 'no published hash' };
    }
    const secondsUntilNeeded = Math.max(0, info.start - this.options.playhead());
    // Just after joining, peers are still connecting: a segment not needed yet waits a little for a holder
    // rather than adding one more copy to the origin's bill. A segment needed now never waits.
    const need = { sn: info.sn, secondsUntilNeeded, expectedBytes: info.expectedBytes, duration: info.duration };
    const discoveryMs = swarm.discovering ? discoveryWaitMs(secondsUntilNeeded * 1000, info.expectedBytes, this.httpRate) : 0;
    const waitMs = Math.max(discoveryMs, swarmWaitMs(need, swarm.racing(info.sn), this.env.random()));
    if (swarm.holders(info.sn) === 0 && waitMs >= 200) {
      await this.waitForHolder(swarm, info.sn, waitMs, discoveryMs >= waitMs);
      if (this.destroyed) return { kind: 'gone' };
      const stored = this.store.get({ swarm: key, sn: info.sn });
      if (stored) return { kind: 'store', bytes: stored.bytes };
    }
    const decision = chooseSource(need, swarm.views(info.sn), this.scheduler);
    if (decision.source === 'http') return { kind: 'http', reason: decision.reason };
    const session = swarm.session(decision.peerId);
    if (!session) return { kind: 'http', reason: 'peer left' };
    return { kind: 'peer', peerId: session.id, ...this.transfer(session, key, info, decision.deadlineMs) };
  }

  /** Fetches one segment from one peer, watching that it keeps up; stores it once it is verified. */
  private transfer(session: PeerSession, key: string, info: SegmentInfo, deadlineMs: number): { outcome: Promise<PeerOutcome>; abort(): void } {
    const request = session.request(info.sn);
    const deadlineAt = request.startedAt + deadlineMs;
    let aborted = false;
    let watch: ReturnType<typeof setInterval> | undefined;
    const outcome = new Promise<PeerOutcome>((resolve) => {
      const fallback = (reason: string): void => {
        clearInterval(watch);
        resolve({ status: 'fallback', partial: request.partial(), total: request.total, reason });
      };
      watch = setInterval(() => {
        const view = { startedAt: request.startedAt, deadlineAt, received: request.received, total: request.total, expectedBytes: info.expectedBytes };
        if (!isBehind(view, this.env.now())) return;
        session.failures += 1;
        const partial = request.partial();
        request.cancel();
        clearInterval(watch);
        resolve({ status: 'fallback', partial, total: request.total, reason: 'peer too slow' });
      }, WATCH_MS);
      request.result.then(async (result) => {
        if (result.status !== 'ok') return fallback(result.status === 'absent' ? 'peer no longer has it' : `peer request ${result.status}`);
        clearInterval(watch);
        const verdict = await this.verify(info, result.bytes);
        if (verdict !== 'ok') {
          this.reject(key, session.id, info, verdict);
          return resolve({ status: 'fallback', partial: new Uint8Array(0), total: undefined, reason: `failed verification (${verdict})` });
        }
        if (!aborted) this.accept(key, info, result.bytes, 'p2p');
        resolve({ status: 'ok', bytes: result.bytes, peerId: session.id });
      }, fallback);
    });
    return {
      outcome,
      abort: () => {
        aborted = true;
        clearInterval(watch);
        request.cancel();
      },
    };
  }

  /**
   * Starts fetching, from peers only, the next segments the player will ask for (they are within its forward
   * buffer, so this adds no download a plain player would not make), a few at a time.
   */
  private prefetch(key: string, current: SegmentInfo): void {
    const next = current.next;
    const swarm = this.ready.get(key);
    if (!swarm || !next?.length || this.destroyed) return;
    const upcoming = next.map((n) => ({
      sn: n.sn,
      held: this.store.has({ swarm: key, sn: n.sn }),
      inflight: this.prefetches.has(`${key}\u0000${n.sn}`),
      holders: swarm.holders(n.sn),
    }));
    for (const sn of choosePrefetch({ upcoming, inflight: this.prefetches.size }, PREFETCH_WINDOW, PREFETCH_INFLIGHT)) {
      if (!isU32(sn)) continue;
      const n = next.find((x) => x.sn === sn)!;
      const expectedBytes = Math.ceil((current.expectedBytes * n.duration) / Math.max(current.duration, 0.001));
      const info: SegmentInfo = { levelUrl: key, sn, url: n.url, range: n.range, start: n.start, duration: n.duration, expectedBytes };
      if (!this.verifier.covers(info)) continue;
      const need = { sn, secondsUntilNeeded: Math.max(0, n.start - this.options.playhead()), expectedBytes, duration: n.duration };
      const decision = chooseSource(need, swarm.views(sn), this.scheduler);
      const session = decision.source === 'peer' ? swarm.session(decision.peerId) : undefined;
      if (!session || decision.source !== 'peer') continue;
      const id = `${key}\u0000${sn}`;
      const done = this.transfer(session, key, info, decision.deadlineMs).outcome.then(() => {
        this.prefetches.delete(id);
      });
      this.prefetches.set(id, done);
    }
  }

  /**
   * For a manifest that grows (live): asks for it again and waits, a share of the segment's slack, for the hash.
   * A segment needed now does not wait, but the refresh still brings the hash its HTTP copy will be checked with.
   */
  private async awaitHash(info: SegmentInfo): Promise<void> {
    const verifier = this.verifier;
    if (!verifier.refresh) return;
    const slackMs = Math.max(0, info.start - this.options.playhead()) * 1000;
    const deadline = this.env.now() + hashWaitMs(slackMs);
    for (let round = 1; ; round += 1) {
      await this.until(verifier.refresh('missing'), deadline);
      if (this.destroyed || verifier.covers(info) || round >= HASH_WAIT_ROUNDS) return;
      // The site may publish it a moment later: asked once more halfway through the time left.
      const leftMs = deadline - this.env.now();
      if (leftMs < 100) return;
      await this.until(undefined, this.env.now() + leftMs / 2);
      if (this.destroyed) return;
    }
  }

  /** Resolves when `promise` does or at `deadline` (engine clock), whichever comes first. */
  private async until(promise: Promise<unknown> | undefined, deadline: number): Promise<void> {
    const ms = deadline - this.env.now();
    if (ms <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await (promise ? Promise.race([promise, timeout]) : timeout);
    clearTimeout(timer);
  }

  /** Resolves when a peer announces `sn`, after `ms`, or (for a discovery wait) once discovery is over. */
  private waitForHolder(swarm: Swarm, sn: number, ms: number, untilDiscovered: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        swarm.off('have', check);
        resolve();
      };
      const check = (): void => {
        if (swarm.holders(sn) > 0 || (untilDiscovered && !swarm.discovering)) done();
      };
      const timer = setTimeout(done, ms);
      swarm.on('have', check);
    });
  }

  /** A segment the player got over HTTP: counted, kept and offered to the swarm. */
  httpLoaded(info: SegmentInfo, bytes: Uint8Array, fromPeerFirst = 0, elapsedMs?: number): void {
    if (this.destroyed) return;
    // The origin's rate, for judging how long a segment may wait for peers and still arrive in time over HTTP.
    if (elapsedMs !== undefined && elapsedMs > 0 && bytes.byteLength > 0) {
      const rate = (bytes.byteLength * 1000) / elapsedMs;
      this.httpRate = this.httpRate === undefined ? rate : 0.7 * this.httpRate + 0.3 * rate;
    }
    // A segment a peer started and HTTP finished counts its bytes where each part came from.
    this.counters.httpBytes += bytes.byteLength - fromPeerFirst;
    this.counters.p2pBytes += fromPeerFirst;
    this.counters.segmentsFromHttp += 1;
    this.changed();
    // Shared only once it matches the site's hash: a viewer never passes on bytes it has not checked. A segment
    // the wire cannot name is neither kept nor offered.
    if (!isU32(info.sn)) return;
    const key = this.renditionKey(info.levelUrl);
    void this.verify(info, bytes).then((verdict) => {
      if (this.destroyed) return;
      if (verdict === 'ok') this.accept(key, info, bytes, 'http');
      else if (verdict === 'mismatch') this.warn('ERR_HTTP_INTEGRITY', `${info.url} from the origin does not match its published hash; not shared`);
      // A live manifest trails its playlist: kept a while, in case the hash comes with a later refresh.
      else if (this.verifier.refresh) this.unverified.add({ swarm: key, sn: info.sn, info: { ...info, next: undefined }, bytes });
    });
  }

  // The hash manifest brought new hashes: copies from the origin that they cover are checked, then kept and offered.
  private recheckUnverified(): void {
    if (this.destroyed) return;
    for (const copy of this.unverified.list()) {
      if (!this.verifier.covers(copy.info)) continue;
      this.unverified.remove(copy);
      void this.verify(copy.info, copy.bytes).then((verdict) => {
        if (this.destroyed) return;
        if (verdict === 'ok') this.accept(copy.swarm, copy.info, copy.bytes, 'http');
        else if (verdict === 'mismatch') this.warn('ERR_HTTP_INTEGRITY', `${copy.info.url} from the origin does not match its published hash; not shared`);
      });
    }
  }

  /**
   * A segment a peer began and HTTP finished (a Range request for the rest): true when the whole matches the
   * site's hash. When it does not, the peer's part was the lie: that peer is rejected and banned, and the caller
   * fetches the whole segment over HTTP instead.
   */
  async checkResumed(info: SegmentInfo, bytes: Uint8Array, peerId: string): Promise<boolean> {
    const verdict = await this.verify(info, bytes);
    if (verdict === 'ok') return true;
    if (!this.destroyed) this.reject(this.renditionKey(info.levelUrl), peerId, info, verdict);
    return false;
  }

  /** Whether segments from the origin are checked too (the element's `verify-http`). */
  get verifiesHttp(): boolean {
    return this.swarmConfig?.verifyHttp === true;
  }

  /**
   * With `verifyHttp`, whether bytes from the origin may reach the player: false on a hash mismatch (warned), true
   * otherwise, and always true without it (the origin is trusted).
   */
  async checkHttp(info: SegmentInfo, bytes: Uint8Array): Promise<boolean> {
    if (!this.verifiesHttp) return true;
    const verdict = await this.verify(info, bytes);
    if (verdict !== 'mismatch') return true;
    this.warn('ERR_HTTP_INTEGRITY', `${info.url} from the origin does not match its published hash: refused`);
    return false;
  }

  /** Bytes that went over HTTP outside the swarm: init segments, or segments loaded before the swarm was set. */
  countHttp(bytes: number, mediaSegment: boolean): void {
    if (this.destroyed) return;
    this.counters.httpBytes += bytes;
    if (mediaSegment) this.counters.segmentsFromHttp += 1;
    this.changed();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.giveUp();
    this.unwatchVerifier?.();
    this.unwatchVerifier = undefined;
    this.unverified.clear();
    for (const swarm of this.live) swarm.destroy();
    this.live.clear();
    this.ready.clear();
    this.swarms.clear();
    this.store.destroy();
    this.removeAllListeners();
  }

  /** The verifier's verdict; a verifier that throws (no WebCrypto, say) fails the segment rather than the engine. */
  private async verify(segment: VerifiedSegment, bytes: Uint8Array): Promise<'ok' | 'mismatch' | 'unknown'> {
    try {
      return await this.verifier.verify(segment, bytes);
    } catch (error) {
      this.warn('ERR_VERIFY', `cannot check ${segment.url}: ${(error as Error).message}`);
      return 'unknown';
    }
  }

  // Bytes a peer sent that are not the site's: dropped, counted, and that peer never asked again.
  private reject(key: string, peerId: string, info: SegmentInfo, verdict: 'mismatch' | 'unknown'): void {
    const reason = verdict === 'mismatch' ? 'hash mismatch' : 'no hash to check against';
    this.counters.rejectedSegments += 1;
    const peerKey = `${key}\u0000${peerId}`;
    this.rejectedBy.set(peerKey, (this.rejectedBy.get(peerKey) ?? 0) + 1);
    if (verdict === 'mismatch' && !this.banned.has(peerId)) {
      // Out of every rendition's swarm: a peer that lies about one segment is trusted with none.
      this.banned.add(peerId);
      this.counters.bannedPeers += 1;
      for (const swarm of this.live) swarm.ban(peerId, `sent ${info.url.split('/').pop()} (${key}) with the wrong hash`);
    }
    this.emit('segmentrejected', { url: info.url, peer: peerId, reason });
    this.changed();
  }

  private accept(key: string, info: SegmentInfo, bytes: Uint8Array, source: 'p2p' | 'http'): void {
    if (source === 'p2p') {
      this.counters.p2pBytes += bytes.byteLength;
      this.counters.segmentsFromPeers += 1;
    }
    // A live segment that slid out of the window while it loaded is not worth keeping or offering.
    const startSN = this.liveWindows.get(key);
    const stale = startSN !== undefined && isStaleLive(info, startSN, this.options.playhead());
    if (!stale) this.store.put({ swarm: key, sn: info.sn, bytes, start: info.start, duration: info.duration });
    this.changed();
    this.prefetch(key, info);
  }

  private changed(): void {
    this.emit('stats', this.stats);
  }

  private warn(code: string, message: string): void {
    this.emit('warning', { code, message, fatal: false });
  }

  /** The store as one swarm sees it: that rendition's segments. */
  private storeSegments(key: string): SwarmSegments {
    const store = this.store;
    return {
      held: () => store.held(key),
      segment: (sn) => store.get({ swarm: key, sn })?.bytes,
      watch: (onAdded, onRemoved) => {
        const added = (s: { swarm: string; sn: number }): void => {
          if (s.swarm === key) onAdded(s.sn);
        };
        const removed = (s: { swarm: string; sn: number }): void => {
          if (s.swarm === key) onRemoved(s.sn);
        };
        store.on('added', added);
        store.on('removed', removed);
        return () => {
          store.off('added', added);
          store.off('removed', removed);
        };
      },
    };
  }

  private swarmFor(key: string): Promise<Swarm | undefined> {
    if (!this.configured) return Promise.resolve(undefined);
    let pending = this.swarms.get(key);
    if (!pending) {
      pending = this.createSwarm(key);
      this.swarms.set(key, pending);
    }
    return pending;
  }

  private async createSwarm(key: string): Promise<Swarm | undefined> {
    const config = this.swarmConfig!;
    let infoHash: Uint8Array;
    try {
      infoHash = await infoHashOf(config.swarmId, key);
    } catch (error) {
      this.warn('ERR_P2P_UNAVAILABLE', (error as Error).message);
      return undefined;
    }
    if (this.destroyed || !this.configured) return undefined;
    const swarm = new Swarm({
      key,
      infoHash,
      peerId: this.peerId,
      trackers: config.trackers,
      transport: this.env.transport,
      createWebSocket: this.env.createWebSocket,
      segments: this.storeSegments(key),
      uploads: this.options.uploads,
      maxPeers: this.options.maxPeers ?? DEFAULT_MAX_PEERS,
      now: this.env.now,
      random: this.env.random,
      logger: (line) => this.env.logger(`[${key}] ${line}`),
    });
    for (const id of this.banned) swarm.ban(id, 'banned in another rendition');
    this.live.add(swarm);
    this.ready.set(key, swarm);
    swarm.on('peerconnect', ({ id }) => {
      this.emit('peerconnect', { id, swarm: key });
      this.changed();
    });
    swarm.on('peerclose', ({ id, reason }) => {
      this.emit('peerclose', { id, swarm: key, reason });
      this.changed();
    });
    swarm.on('upload', (bytes) => {
      this.counters.uploadBytes += bytes;
      this.changed();
    });
    swarm.on('warning', (error) => this.warn(error.code, error.message));
    this.env.logger(`joined swarm ${key} (${toHex(infoHash).slice(0, 12)})`);
    return swarm;
  }
}
