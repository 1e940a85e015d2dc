/**
 * Where each segment should come from, decided from a snapshot and nothing else: no I/O, no timers, so it is
 * tested with plain objects and simulated with thousands of peers. The engine gathers the snapshot and carries
 * the decisions out.
 */

export interface PeerView {
  id: string;
  /** Whether the peer announced it holds this segment. */
  has: boolean;
  /** Measured download rate from this peer, bytes per second; undefined until a transfer finished. */
  throughput?: number;
  /** Our requests to this peer not yet answered. */
  inflight: number;
  /** Requests the peer accepts in flight (from its hello). */
  maxRequests: number;
  /** Recent failures (absent after announcing, timeouts, cancellations for slowness). */
  failures: number;
  /** A server seeder: asked only when no viewer can deliver in time. */
  seeder?: boolean;
}

export interface SegmentNeed {
  sn: number;
  /** Seconds of media the player has buffered ahead of its playhead before this segment is needed. */
  secondsUntilNeeded: number;
  /** Expected size in bytes (from the rendition's bitrate and the segment's duration). */
  expectedBytes: number;
  duration: number;
}

export interface SchedulerConfig {
  /** Assumed rate of a peer we have not measured yet, bytes per second. */
  defaultThroughput: number;
  /** Time a peer must fit into even when the player needs the segment right away (startup, seek), ms. */
  minPeerWindowMs: number;
  /** Share of the remaining time a peer transfer may use; the rest is kept to finish over HTTP. */
  safety: number;
  /** Failures after which a peer is no longer asked. */
  maxFailures: number;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  defaultThroughput: 500_000,
  minPeerWindowMs: 1500,
  safety: 0.5,
  maxFailures: 3,
};

export type SourceDecision = { source: 'peer'; peerId: string; deadlineMs: number } | { source: 'http'; reason: string };

/** Time a transfer from this peer may take before it must be abandoned for HTTP, ms. */
export function peerWindowMs(need: SegmentNeed, config: SchedulerConfig): number {
  return Math.max(config.minPeerWindowMs, need.secondsUntilNeeded * 1000 * config.safety);
}

function expectedMs(peer: PeerView, bytes: number, config: SchedulerConfig): number {
  const rate = peer.throughput ?? config.defaultThroughput;
  // Requests already queued at that peer are served before ours.
  return ((peer.inflight + 1) * bytes * 1000) / Math.max(rate, 1);
}

/**
 * Picks the viewer that can deliver the segment in time soonest; failing that, a seeder that can; failing that,
 * HTTP. Viewers first keeps the site's seeder near one copy of what the swarm watches.
 */
export function chooseSource(need: SegmentNeed, peers: readonly PeerView[], config = DEFAULT_SCHEDULER_CONFIG): SourceDecision {
  const holders = peers.filter((p) => p.has);
  if (holders.length === 0) return { source: 'http', reason: 'no peer holds it' };
  const windowMs = peerWindowMs(need, config);
  const best = (candidates: PeerView[]): PeerView | undefined => {
    let found: { peer: PeerView; ms: number } | undefined;
    for (const peer of candidates) {
      if (peer.failures >= config.maxFailures || peer.inflight >= peer.maxRequests) continue;
      const ms = expectedMs(peer, need.expectedBytes, config);
      if (ms > windowMs) continue;
      if (!found || ms < found.ms) found = { peer, ms };
    }
    return found?.peer;
  };
  const chosen = best(holders.filter((p) => !p.seeder)) ?? best(holders.filter((p) => p.seeder));
  if (!chosen) return { source: 'http', reason: 'no peer can deliver in time' };
  return { source: 'peer', peerId: chosen.id, deadlineMs: windowMs };
}

export interface TransferView {
  startedAt: number;
  deadlineAt: number;
  received: number;
  total?: number;
  expectedBytes: number;
}

/**
 * Whether a peer transfer has fallen behind: past its deadline, or its rate so far cannot finish by it.
 * Judged only after a short grace period, so one slow first chunk does not cancel a good peer.
 */
export function isBehind(t: TransferView, now: number, graceMs = 300): boolean {
  if (now >= t.deadlineAt) return true;
  const elapsed = now - t.startedAt;
  if (elapsed < graceMs) return false;
  const total = t.total ?? t.expectedBytes;
  const rate = t.received / elapsed; // bytes per ms
  if (rate <= 0) return elapsed > (t.deadlineAt - t.startedAt) / 2;
  return now + (total - t.received) / rate > t.deadlineAt;
}

export interface PrefetchView {
  /** The next segments after what the player has asked for, in play order, with whether we hold them. */
  upcoming: { sn: number; held: boolean; inflight: boolean; holders: number }[];
  /** Peer transfers in flight now. */
  inflight: number;
}

/**
 * Segments to fetch from peers ahead of the player, within a bounded window: only segments some peer holds (so
 * prefetching never adds origin traffic) and only a few at a time (so a viewer who leaves has not downloaded much).
 */
export function choosePrefetch(view: PrefetchView, window = 3, maxInflight = 2): number[] {
  const out: number[] = [];
  let budget = maxInflight - view.inflight;
  for (const s of view.upcoming.slice(0, window)) {
    if (budget <= 0) break;
    if (s.held || s.inflight || s.holders === 0) continue;
    out.push(s.sn);
    budget -= 1;
  }
  return out;
}

/**
 * How long to wait for a peer to announce a segment nobody holds yet, instead of fetching it over HTTP at once.
 * When `racing` other viewers are at the same point (they hold the segment before it, not this one), all of them
 * would otherwise fetch it from the origin together; each fetches it with probability 1/(racing+1) and the others
 * wait for the copy to enter the swarm. A segment needed soon never waits.
 */
export function swarmWaitMs(need: SegmentNeed, racing: number, random: number, maxWaitMs = 2000): number {
  if (racing <= 0) return 0;
  const budget = Math.min(maxWaitMs, need.secondsUntilNeeded * 1000 * 0.3);
  if (budget < 200) return 0;
  return random < 1 / (racing + 1) ? 0 : budget;
}

/** Longest wait for peers that are still connecting, ms. */
const MAX_DISCOVERY_WAIT_MS = 3000;
/** Without a measured HTTP rate: the share of a segment's slack it may wait (and at most 2 s). */
const BLIND_DISCOVERY_SHARE = 0.3;
const BLIND_DISCOVERY_MAX_MS = 2000;

/**
 * How long a segment not needed yet may wait for peers that are still connecting (just after joining, or while
 * the swarm settings are read) before it goes to HTTP, ms. The wait keeps time for HTTP to deliver it before the
 * player needs it: three times what the origin took for a segment of that size so far, plus half a second, and
 * never more than 60% of the slack. Before any HTTP rate is known, 30% of the slack, at most 2 s.
 */
export function discoveryWaitMs(slackMs: number, expectedBytes: number, httpBytesPerSecond: number | undefined): number {
  if (!(slackMs > 0)) return 0;
  if (!httpBytesPerSecond || !(httpBytesPerSecond > 0)) return Math.min(BLIND_DISCOVERY_MAX_MS, slackMs * BLIND_DISCOVERY_SHARE);
  const httpMs = (expectedBytes * 1000) / httpBytesPerSecond;
  return Math.max(0, Math.min(MAX_DISCOVERY_WAIT_MS, slackMs * 0.6, slackMs - 3 * httpMs - 500));
}

/** Longest wait for a live segment's hash to be published, ms. */
const MAX_HASH_WAIT_MS = 1500;
/** The share of a segment's slack it may spend waiting for its hash. */
const HASH_WAIT_SHARE = 0.3;

/**
 * How long a segment whose hash the site has not published yet (a live stream's manifest trails its playlist) may
 * wait for it before going to HTTP, ms: 30% of its slack, at most 1.5 s; a segment needed now does not wait.
 */
export function hashWaitMs(slackMs: number): number {
  if (!(slackMs > 0)) return 0;
  const wait = Math.min(MAX_HASH_WAIT_MS, slackMs * HASH_WAIT_SHARE);
  return wait >= 50 ? wait : 0;
}
