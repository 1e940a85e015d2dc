import { readFile, stat } from 'node:fs/promises';
import WebSocket from 'ws';
import { randomPeerId, toHex } from '../../player/src/engine/info-hash.ts';
import { TokenBucket } from '../../player/src/engine/rate-limit.ts';
import { SimplePeerTransport } from '../../player/src/engine/simple-peer-transport.ts';
import { Swarm } from '../../player/src/engine/swarm.ts';
import { TrackerClient, type WebSocketLike } from '../../player/src/engine/tracker-client.ts';
import type { PeerChannel } from '../../player/src/engine/transport.ts';
import { DATA_HEADER_BYTES, MAX_CHUNK_BYTES, MAX_HAVE_IDS, decode, encode, splitHave, type Message } from '../../player/src/protocol/index.ts';
import { titleRenditions } from '../../server-seed/src/seeder/seeder.ts';

/** How a test peer misbehaves. */
export type Behaviour =
  /** Claims every segment and serves each with one bit flipped. */
  | 'wrong-bytes'
  /** Serves another segment of the same rendition: bytes that match a published hash, but not this one's. */
  | 'other-segment'
  /**
   * Serves the longest other segment of the rendition (a published hash, a wrong length), a chunk a second: the
   * viewer gives up partway and asks the origin for the rest, up to the length the peer gave.
   */
  | 'longer-segment'
  /** Claims every segment and answers each request `absent`. */
  | 'absent'
  /** Claims every segment and never answers a request. */
  | 'silent'
  /** Claims every segment and serves the right bytes, one 16 KiB chunk a second. */
  | 'trickle'
  /** Answers a request with a data message twice the largest the protocol allows. */
  | 'oversized'
  /** Answers a request with a malformed message: a different kind on each connection. */
  | 'malformed'
  /** Announces two million segments, a have message of 1024 at a time. */
  | 'many-haves'
  /** Opens connections under many peer ids, as many as the viewer takes and more. */
  | 'many-connections'
  /** Asks the viewer for the same segment over and over, as many at once as the viewer allows. */
  | 'request-loop';

export interface HostileStats {
  /** Data channels that opened to a viewer. */
  connections: number;
  /** Requests viewers sent it. */
  requestsReceived: number;
  /** Segment bytes it sent. */
  uploadBytes: number;
  /** Hostile messages it sent: oversized or malformed frames, have messages past the real segments. */
  hostileMessages: number;
  /** Requests it sent (request-loop). */
  requestsSent: number;
  /** Segment bytes it received (request-loop). */
  downloadBytes: number;
  /** Connections tried (many-connections). */
  attempts: number;
  /** The most channels open to the viewer at once in one swarm, counted from the viewer's hello (many-connections). */
  maxOpen: number;
  /** The protocol error codes of the malformed frames it sent, in order (malformed). */
  malformedSent: string[];
}

export interface HostilePeer {
  readonly stats: Readonly<HostileStats>;
  close(): void;
}

export interface HostilePeerOptions {
  root: string;
  /** The packaged title's multivariant playlist, e.g. '/packaged/master.m3u8': the peer joins each rendition's swarm. */
  src: string;
  trackerUrl: string;
  behaviour: Behaviour;
}

/** The malformed frames, one per connection in turn, each with the protocol error it must be refused with. */
export const MALFORMED: readonly { name: string; code: string; frame: (requestId: number, sn: number) => Uint8Array }[] = [
  { name: 'unknown version', code: 'ERR_PROTOCOL_VERSION', frame: (requestId, sn) => withVersion(dataFrame(requestId, sn, 0, 100, 100), 2) },
  { name: 'unknown type', code: 'ERR_PROTOCOL_TYPE', frame: () => Uint8Array.of(1, 42, 0, 0, 0, 0) },
  { name: 'truncated data', code: 'ERR_PROTOCOL_LENGTH', frame: (requestId, sn) => dataFrame(requestId, sn, 0, 100, 100).subarray(0, 10) },
  { name: 'chunk past its total', code: 'ERR_PROTOCOL_VALUE', frame: (requestId, sn) => dataFrame(requestId, sn, 0, 10, 100) },
];

/** Upload rates of the slow liars, bytes per second: a chunk at a time, no burst. */
const PACE: Partial<Record<Behaviour, number>> = { trickle: MAX_CHUNK_BYTES, 'longer-segment': MAX_CHUNK_BYTES };

/** The many-connections peer keeps at most this many connection attempts going per swarm. */
const CONNECTORS = 3;
/** Connection attempts per swarm in all: more than the viewer's 20. */
const MAX_ATTEMPTS = 30;
/** An attempt the viewer has not taken by then is given up. */
const ATTEMPT_MS = 4_000;
/** Requests the request-loop peer sends in all before it stops (the bound a viewer without protection would reach). */
const LOOP_REQUESTS = 2_000;
/** Segment ids the many-haves peer announces. */
const FLOOD_IDS = 2_000_000;

interface Rendition {
  infoHash: Uint8Array;
  key: string;
  files: Map<number, string>;
  sns: number[];
}

interface Context {
  options: HostilePeerOptions;
  transport: SimplePeerTransport;
  stats: HostileStats;
  closers: (() => void)[];
  closed: boolean;
  /** The next kind of MALFORMED to send, across swarms. */
  malformedNext: number;
}

/**
 * A Node peer on our own engine (WebRTC through node-datachannel) that joins every rendition's swarm of a packaged
 * title and misbehaves as `behaviour` says. Liars that speak the protocol correctly run on a Swarm; the rest drive
 * the data channel directly with the protocol's encoder (and hand-made frames), below Swarm and PeerSession, after
 * a valid hello so the viewer takes the session. None says it is a seeder, so viewers ask it before anyone else.
 */
export async function startHostilePeer(options: HostilePeerOptions): Promise<HostilePeer> {
  const ctx: Context = {
    options,
    transport: new SimplePeerTransport({ iceServers: [], iceCompleteTimeoutMs: 150 }),
    stats: { connections: 0, requestsReceived: 0, uploadBytes: 0, hostileMessages: 0, requestsSent: 0, downloadBytes: 0, attempts: 0, maxOpen: 0, malformedSent: [] },
    closers: [],
    closed: false,
    malformedNext: 0,
  };
  const peerId = randomPeerId();
  const renditions = [...(await titleRenditions(options.root, options.src))].map(
    ([infoHash, { key, files }]): Rendition => ({ infoHash: Buffer.from(infoHash, 'hex'), key, files, sns: [...files.keys()] }),
  );
  for (const rendition of renditions) {
    switch (options.behaviour) {
      case 'wrong-bytes':
      case 'other-segment':
      case 'longer-segment':
      case 'absent':
      case 'trickle':
        swarmPeer(ctx, rendition, peerId);
        break;
      case 'many-connections':
        void manyConnections(ctx, rendition);
        break;
      default:
        rawPeer(ctx, rendition, peerId, SCRIPTS[options.behaviour](ctx, rendition));
    }
  }
  return {
    stats: ctx.stats,
    close: () => {
      ctx.closed = true;
      for (const close of ctx.closers.splice(0)) close();
    },
  };
}

const createWebSocket = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike;

/** A liar that speaks the protocol: our own Swarm, with segments that are wrong, absent or slow. */
function swarmPeer(ctx: Context, rendition: Rendition, peerId: Uint8Array): void {
  const { behaviour } = ctx.options;
  const { files } = rendition;
  const read = async (sn: number): Promise<Uint8Array | undefined> => {
    const file = files.get(sn);
    return file ? new Uint8Array(await readFile(file)) : undefined;
  };
  // The rendition's segments, longest first.
  const longest = Promise.all(rendition.sns.map(async (sn) => ({ sn, size: (await stat(files.get(sn)!)).size }))).then((all) =>
    all.sort((a, b) => b.size - a.size).map((s) => s.sn),
  );
  const segment = async (sn: number): Promise<Uint8Array | undefined> => {
    ctx.stats.requestsReceived += 1;
    switch (behaviour) {
      case 'absent':
        return undefined;
      case 'other-segment':
        return files.has(sn + 1) ? read(sn + 1) : read(sn - 1);
      case 'longer-segment':
        return read((await longest).find((other) => other !== sn)!);
      case 'wrong-bytes': {
        const bytes = await read(sn);
        if (bytes) bytes[bytes.length >> 1] ^= 0x01;
        return bytes;
      }
      default:
        return read(sn);
    }
  };
  const pace = PACE[behaviour];
  const swarm = new Swarm({
    key: rendition.key,
    infoHash: rendition.infoHash,
    peerId,
    trackers: [ctx.options.trackerUrl],
    transport: ctx.transport,
    createWebSocket,
    segments: { held: () => rendition.sns, segment, watch: () => () => {} },
    uploads: true,
    maxOffers: 0,
    maxAnswering: 16,
    maxPeers: 10,
    uploadLimit: pace === undefined ? undefined : { shared: new TokenBucket(pace, { burst: MAX_CHUNK_BYTES }) },
    now: () => performance.now(),
    random: Math.random,
    logger: () => {},
  });
  swarm.on('peerconnect', () => (ctx.stats.connections += 1));
  swarm.on('upload', (bytes) => (ctx.stats.uploadBytes += bytes));
  ctx.closers.push(() => swarm.destroy());
}

/** One channel to a viewer, spoken to directly. */
interface Wire {
  readonly rendition: Rendition;
  readonly closed: boolean;
  /** The viewer's hello, once it came. */
  viewerHello?: Extract<Message, { type: 'hello' }>;
  /** Sends a message (encoded) or a hand-made frame; false once the channel is gone. */
  send(message: Message | Uint8Array): boolean;
  /** Resolves once the channel's send buffer is low again (or the channel is gone). */
  drained(): Promise<void>;
}

interface Script {
  /** Our hello's uploads flag. Default true. */
  uploads?: boolean;
  /** After our hello. */
  open?(wire: Wire): void;
  message?(wire: Wire, message: Message): void;
  close?(wire: Wire): void;
}

const SEND_HIGH_WATER = 1 << 20;

/** Says hello on a connected channel, then hands what the viewer sends to `script`. */
function drive(ctx: Context, channel: PeerChannel, rendition: Rendition, script: Script, onClose: () => void): void {
  let closed = false;
  const drainWaiters: (() => void)[] = [];
  const wire: Wire = {
    rendition,
    get closed() {
      return closed;
    },
    send(message) {
      if (closed) return false;
      try {
        channel.send(message instanceof Uint8Array ? message : encode(message));
        return true;
      } catch {
        return false;
      }
    },
    drained() {
      if (closed || channel.bufferedAmount <= SEND_HIGH_WATER) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
  };
  const start = (): void => {
    channel.off('connect', start);
    if (closed) return;
    ctx.stats.connections += 1;
    wire.send({ type: 'hello', swarm: rendition.infoHash, uploads: script.uploads ?? true, maxRequests: 8 });
    script.open?.(wire);
  };
  const end = (): void => {
    if (closed) return;
    closed = true;
    for (const resolve of drainWaiters.splice(0)) resolve();
    channel.destroy();
    script.close?.(wire);
    onClose();
  };
  channel.on('data', (bytes) => {
    let message: Message;
    try {
      message = decode(bytes);
    } catch {
      return;
    }
    if (message.type === 'hello') wire.viewerHello = message;
    if (message.type === 'request') ctx.stats.requestsReceived += 1;
    script.message?.(wire, message);
  });
  channel.on('drain', () => {
    for (const resolve of drainWaiters.splice(0)) resolve();
  });
  channel.on('close', end);
  channel.on('error', end);
  ctx.closers.push(end);
  if (channel.connected) start();
  else channel.on('connect', start);
}

/** A peer below Swarm/PeerSession: a tracker client answers the viewers' offers, `script` speaks on each channel. */
function rawPeer(ctx: Context, rendition: Rendition, peerId: Uint8Array, script: Script): void {
  const open = new Set<string>();
  const client = new TrackerClient({
    urls: [ctx.options.trackerUrl],
    infoHash: rendition.infoHash,
    peerId,
    transport: ctx.transport,
    createWebSocket,
    wantPeers: () => 4 - open.size,
    hasPeer: (id) => open.has(id),
    maxOffers: 0,
    maxAnswering: 4,
  });
  client.on('peer', ({ channel, peerId: id }) => {
    if (ctx.closed || open.has(id)) return channel.destroy();
    open.add(id);
    drive(ctx, channel, rendition, script, () => open.delete(id));
  });
  client.start();
  ctx.closers.push(() => client.destroy());
}

/** Claims every segment of the rendition. */
const claimAll = (wire: Wire): void => {
  for (const have of splitHave(wire.rendition.sns, [])) wire.send(have);
};

const SCRIPTS: Record<'silent' | 'oversized' | 'malformed' | 'many-haves' | 'request-loop', (ctx: Context, rendition: Rendition) => Script> = {
  silent: () => ({ open: claimAll }),

  oversized: (ctx) => ({
    open: claimAll,
    message(wire, message) {
      if (message.type !== 'request') return;
      // A chunk twice MAX_CHUNK_BYTES: a peer that ignores the protocol's message size.
      const size = 2 * MAX_CHUNK_BYTES;
      if (wire.send(dataFrame(message.requestId, message.sn, 0, size, size))) ctx.stats.hostileMessages += 1;
    },
  }),

  malformed: (ctx) => {
    const spoken = new WeakSet<Wire>();
    return {
      open: claimAll,
      message(wire, message) {
        // One per connection: the viewer closes at the first, and what follows would not be read.
        if (message.type !== 'request' || spoken.has(wire)) return;
        spoken.add(wire);
        const kind = MALFORMED[ctx.malformedNext++ % MALFORMED.length];
        if (!wire.send(kind.frame(message.requestId, message.sn))) return;
        ctx.stats.hostileMessages += 1;
        ctx.stats.malformedSent.push(kind.code);
      },
    };
  },

  'many-haves': (ctx) => ({
    async open(wire) {
      claimAll(wire);
      // Ids far past the title's, in have messages of the protocol's largest size, with backpressure.
      const first = 1_000_000;
      for (let start = first; start < first + FLOOD_IDS && !wire.closed && !ctx.closed; start += MAX_HAVE_IDS) {
        const added = Array.from({ length: MAX_HAVE_IDS }, (_, i) => start + i);
        if (wire.send({ type: 'have', added, removed: [] })) ctx.stats.hostileMessages += 1;
        await wire.drained();
      }
    },
  }),

  'request-loop': (ctx) => {
    const loops = new Map<Wire, { sn: number; inflight: Set<number>; nextId: number }>();
    const pump = (wire: Wire): void => {
      const loop = loops.get(wire);
      if (!loop || wire.closed || ctx.closed) return;
      const depth = Math.min(wire.viewerHello?.maxRequests ?? 1, 8);
      while (loop.inflight.size < depth && ctx.stats.requestsSent < LOOP_REQUESTS) {
        const requestId = loop.nextId++;
        if (!wire.send({ type: 'request', requestId, sn: loop.sn })) return;
        loop.inflight.add(requestId);
        ctx.stats.requestsSent += 1;
      }
    };
    return {
      // Download-only: the viewer never asks it for anything; it only asks.
      uploads: false,
      message(wire, message) {
        if (message.type === 'have' && !loops.has(wire) && message.added.length > 0) {
          loops.set(wire, { sn: message.added[0], inflight: new Set(), nextId: 1 });
          return pump(wire);
        }
        const loop = loops.get(wire);
        if (!loop) return;
        if (message.type === 'data') {
          ctx.stats.downloadBytes += message.bytes.byteLength;
          if (message.offset + message.bytes.byteLength < message.total) return;
        } else if (message.type !== 'absent') {
          return;
        }
        loop.inflight.delete(message.requestId);
        pump(wire);
      },
      close: (wire) => void loops.delete(wire),
    };
  },
};

/**
 * Connection attempts under fresh peer ids, a few at a time. Each attempt is a tracker client of its own that
 * offers to every other member of the swarm (its fellow attempts and the viewer: as many offers as there can be
 * members), takes the first channel and leaves the swarm; the channel stays open, saying hello and nothing more.
 */
async function manyConnections(ctx: Context, rendition: Rendition): Promise<void> {
  const ours = new Set<string>();
  let open = 0;
  const attempt = async (): Promise<void> => {
    const peerId = randomPeerId();
    ours.add(toHex(peerId));
    ctx.stats.attempts += 1;
    const channel = await new Promise<PeerChannel | undefined>((resolve) => {
      let done = false;
      const client = new TrackerClient({
        urls: [ctx.options.trackerUrl],
        infoHash: rendition.infoHash,
        peerId,
        transport: ctx.transport,
        createWebSocket,
        wantPeers: () => (done ? 0 : CONNECTORS + 1),
        // Never connect to a fellow attempt.
        hasPeer: (id) => ours.has(id),
        maxOffers: CONNECTORS + 1,
        maxAnswering: 1,
        offerTimeoutMs: ATTEMPT_MS,
      });
      const finish = (channel: PeerChannel | undefined): void => {
        if (done) return void channel?.destroy();
        done = true;
        clearTimeout(timer);
        // Leaves the swarm (a channel handed over is ours and stays); not from inside the client's own callback.
        setTimeout(() => client.destroy(), 0);
        resolve(channel);
      };
      const timer = setTimeout(() => finish(undefined), ATTEMPT_MS);
      ctx.closers.push(() => finish(undefined));
      client.on('peer', ({ channel }) => finish(channel));
      client.start();
    });
    if (!channel || ctx.closed) return void channel?.destroy();
    let counted = false;
    drive(
      ctx,
      channel,
      rendition,
      {
        message(_wire, message) {
          if (message.type !== 'hello' || counted) return;
          counted = true;
          open += 1;
          ctx.stats.maxOpen = Math.max(ctx.stats.maxOpen, open);
        },
        close() {
          if (counted) open -= 1;
        },
      },
      () => {},
    );
  };
  const worker = async (): Promise<void> => {
    while (!ctx.closed && ours.size < MAX_ATTEMPTS) await attempt();
  };
  await Promise.all(Array.from({ length: CONNECTORS }, worker));
}

/** A data frame built by hand: `encode` refuses to make the invalid ones. */
function dataFrame(requestId: number, sn: number, offset: number, total: number, chunkBytes: number): Uint8Array {
  const out = new Uint8Array(DATA_HEADER_BYTES + chunkBytes);
  const view = new DataView(out.buffer);
  view.setUint8(0, 1);
  view.setUint8(1, 3);
  view.setUint32(2, requestId);
  view.setUint32(6, sn);
  view.setUint32(10, offset);
  view.setUint32(14, total);
  return out;
}

function withVersion(frame: Uint8Array, version: number): Uint8Array {
  frame[0] = version;
  return frame;
}
