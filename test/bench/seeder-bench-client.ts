/**
 * A seeder benchmark worker: a batch of client peers in one process, each a Swarm of our engine over
 * node-datachannel, download-only and holding nothing, joined to the seeder's swarm of its title through the
 * server's tracker. On request they fetch every segment of the rendition from the seeder (or, for the baseline,
 * over HTTP from the same server) and check each against the title's SHA-256 manifest.
 *
 *   forked by seeder-bench.ts: node --import tsx test/bench/seeder-bench-client.ts
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { randomPeerId } from '../../player/src/engine/info-hash.ts';
import { SimplePeerTransport } from '../../player/src/engine/simple-peer-transport.ts';
import { Swarm, type SwarmSegments } from '../../player/src/engine/swarm.ts';
import type { WebSocketLike } from '../../player/src/engine/tracker-client.ts';
import type { PeerChannel, PeerChannelOptions, SignalData, Transport } from '../../player/src/engine/transport.ts';
import {
  serveParent,
  sleep,
  tellParent,
  type ClientDownload,
  type ClientRequest,
  type ClientSpec,
  type DownloadReply,
  type DownloadRequest,
  type JoinRequest,
  type SegmentSpec,
  type SignallingCounts,
  type WorkerStatus,
} from './seeder-bench-ipc.ts';

const FAILURES_KEPT = 10;
const SLOW_CONNECT_MS = 10_000;
const SLOW_TRACES_KEPT = 2;
const TRACE_SHOWN = 16;

/**
 * Makes offers but answers none: two clients of one swarm then never connect to each other (the tracker relays
 * offers to random members), so the seeder is the only peer a client can have. One per client: it also counts
 * the session descriptions (with trickle off and gathering cut short by a timeout, one without ICE candidates
 * cannot connect) and keeps a timeline of the client's channels, reported for clients slow to connect.
 */
class OfferOnlyTransport implements Transport {
  private readonly inner: Transport;
  private readonly counts: SignallingCounts;
  private readonly since = Date.now();
  private channels = 0;
  readonly trace: string[] = [];

  constructor(inner: Transport, counts: SignallingCounts) {
    this.inner = inner;
    this.counts = counts;
  }

  createPeer(options: PeerChannelOptions): PeerChannel {
    if (!options.initiator) throw new Error('a benchmark client answers no offers');
    const channel = this.inner.createPeer(options);
    const counts = this.counts;
    const n = ++this.channels;
    const note = (what: string): void => {
      if (this.trace.length < 40) this.trace.push(`${((Date.now() - this.since) / 1000).toFixed(1)} s #${n} ${what}`);
    };
    note('created');
    channel.on('signal', (data) => {
      counts.offers += 1;
      if (!hasCandidates(data)) counts.offersWithoutCandidates += 1;
      note(`offer (${candidates(data)} candidates)`);
    });
    channel.on('connect', () => note('connect'));
    channel.on('error', (error) => note(`error: ${error.message}`));
    channel.on('close', () => note('close'));
    return new Proxy(channel, {
      get(target, property, receiver) {
        if (property !== 'signal') return Reflect.get(target, property, receiver) as unknown;
        return (data: SignalData) => {
          counts.answers += 1;
          if (!hasCandidates(data)) counts.answersWithoutCandidates += 1;
          note(`answer (${candidates(data)} candidates)`);
          target.signal(data);
        };
      },
    });
  }
}

function candidates(data: SignalData): number {
  return typeof data.sdp === 'string' ? (data.sdp.match(/^a=candidate:/gm) ?? []).length : 0;
}

function hasCandidates(data: SignalData): boolean {
  return typeof data.sdp === 'string' && /^a=candidate:/m.test(data.sdp);
}

/** A client holds nothing and serves nothing. */
const EMPTY: SwarmSegments = { held: () => [], segment: () => undefined, watch: () => () => {} };

interface Client {
  spec: ClientSpec;
  swarm: Swarm;
  transport: OfferOnlyTransport;
  joinedAt: number;
  /** When the first session to the seeder was ready. */
  connectedAt: number | undefined;
  /** The seeder's session id while one is ready. */
  seederId: string | undefined;
  otherPeers: Set<string>;
}

const webrtc = new SimplePeerTransport({ iceServers: [], iceCompleteTimeoutMs: 150 });
const signalling: SignallingCounts = { offers: 0, offersWithoutCandidates: 0, answers: 0, answersWithoutCandidates: 0 };
const clients: Client[] = [];
const warnings: string[] = [];
let warningCount = 0;

async function join(request: JoinRequest): Promise<null> {
  for (const [i, spec] of request.clients.entries()) {
    if (i > 0 && request.spacingMs > 0) await sleep(request.spacingMs);
    const joinedAt = Date.now();
    const transport = new OfferOnlyTransport(webrtc, signalling);
    const swarm = new Swarm({
      key: spec.key,
      infoHash: Buffer.from(spec.infoHash, 'hex'),
      peerId: randomPeerId(),
      trackers: [request.trackerUrl],
      transport,
      createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      segments: EMPTY,
      uploads: false,
      seeder: false,
      // One offer per member of the swarm, so one of them is the seeder's.
      maxOffers: request.perSwarm,
      maxPeers: request.perSwarm,
      now: () => performance.now(),
      random: Math.random,
      logger: () => {},
    });
    const client: Client = { spec, swarm, transport, joinedAt, connectedAt: undefined, seederId: undefined, otherPeers: new Set() };
    swarm.on('peerconnect', ({ id }) => {
      if (swarm.session(id)?.remoteSeeder) {
        client.seederId = id;
        client.connectedAt ??= Date.now();
        tellParent({ type: 'connected', index: spec.index, joinedAt, at: Date.now() });
      } else {
        client.otherPeers.add(id);
      }
    });
    swarm.on('peerclose', ({ id, reason }) => {
      client.otherPeers.delete(id);
      if (id !== client.seederId) return;
      client.seederId = undefined;
      tellParent({ type: 'lost', index: spec.index, at: Date.now(), reason });
    });
    swarm.on('warning', (error) => {
      warningCount += 1;
      if (warnings.length < FAILURES_KEPT) warnings.push(`client ${spec.index}: ${error.code}: ${error.message}`);
    });
    clients.push(client);
  }
  return null;
}

async function download(request: DownloadRequest): Promise<DownloadReply> {
  const started = Date.now();
  const deadline = started + request.timeoutMs;
  const failures: string[] = [];
  const fetchOne = request.mode === 'webrtc' ? fromSeeder : overHttp(request.origin);
  const taking = new Set(request.clients);
  const results = await Promise.all(
    clients.filter((client) => taking.has(client.spec.index)).map(async (client): Promise<ClientDownload> => {
      const result: ClientDownload = { index: client.spec.index, bytes: 0, ok: 0, failed: 0, ms: 0 };
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < request.segments.length) {
          const segment = request.segments[next++]!;
          try {
            if (Date.now() >= deadline) throw new Error('out of time');
            const bytes = await fetchOne(client, segment, deadline);
            const digest = createHash('sha256').update(bytes).digest('hex');
            if (digest !== segment.sha256) throw new Error(`${segment.file}: SHA-256 mismatch`);
            result.ok += 1;
            result.bytes += bytes.byteLength;
          } catch (error) {
            result.failed += 1;
            if (failures.length < FAILURES_KEPT) failures.push(`client ${client.spec.index} ${segment.file}: ${describe(error)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: request.inflight }, lane));
      result.ms = Date.now() - started;
      return result;
    }),
  );
  return { clients: results, failures };
}

async function fromSeeder(client: Client, segment: SegmentSpec, deadline: number): Promise<Uint8Array> {
  const session = client.seederId === undefined ? undefined : client.swarm.session(client.seederId);
  if (!session) throw new Error('no session to the seeder');
  const request = session.request(segment.sn);
  const timer = setTimeout(() => request.cancel(), Math.max(0, deadline - Date.now()));
  try {
    const result = await request.result;
    if (result.status !== 'ok') throw new Error(`the seeder's answer: ${result.status}`);
    return result.bytes;
  } finally {
    clearTimeout(timer);
  }
}

function overHttp(origin: string): (client: Client, segment: SegmentSpec, deadline: number) => Promise<Uint8Array> {
  return async (client, segment, deadline) => {
    const response = await fetch(`${origin}${client.spec.titlePath}${segment.file}`, {
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

/** An error's message with its cause's (fetch() says only "fetch failed"). */
function describe(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause ? ` (${e.cause.code ?? e.cause.message ?? String(e.cause)})` : '';
  return `${e.message}${cause}`;
}

function status(): WorkerStatus {
  let connected = 0;
  let otherPeers = 0;
  for (const client of clients) {
    if (client.seederId !== undefined) connected += 1;
    otherPeers += client.otherPeers.size;
  }
  // Clients that took longer than the first handshake should: their channels' timelines.
  const slow = clients
    .filter((c) => (c.connectedAt ?? Date.now()) - c.joinedAt > SLOW_CONNECT_MS)
    .slice(0, SLOW_TRACES_KEPT)
    .map((c) => `client ${c.spec.index}: ${c.transport.trace.slice(0, TRACE_SHOWN).join(', ')}${c.transport.trace.length > TRACE_SHOWN ? ', …' : ''}`);
  return { connected, otherPeers, warnings: warningCount, firstWarnings: [...warnings], signalling: { ...signalling }, slow };
}

serveParent(async (body) => {
  const request = body as ClientRequest;
  switch (request.type) {
    case 'join':
      return join(request);
    case 'download':
      return download(request);
    case 'status':
      return status();
    case 'leave':
      for (const client of clients) client.swarm.destroy();
      clients.length = 0;
      // node-datachannel's threads may keep the process up: leave once the reply is out.
      setTimeout(() => process.exit(0), 200);
      return null;
  }
});
tellParent({ type: 'up' });
