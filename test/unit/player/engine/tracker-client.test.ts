import path from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrackerClient } from '../../../../player/src/engine/tracker-client.ts';
import type {
  TrackerClientEvents,
  TrackerClientOptions,
  TrackerError,
  WebSocketLike,
} from '../../../../player/src/engine/tracker-client.ts';
import type { PeerChannel, PeerChannelEvents, SignalData, Transport } from '../../../../player/src/engine/transport.ts';
import { startServer } from '../../../../server-seed/src/server.ts';
import type { RunningServer } from '../../../../server-seed/src/server.ts';
import { makeTempDir, removeDir, writeTree } from '../../server-seed/helpers.ts';

// ---- a fake in-memory transport: 'signal' carries a fake SDP naming the channel ----

type ChannelListener = (...args: never[]) => void;

class FakeChannel implements PeerChannel {
  readonly bufferedAmount = 0;
  connected = false;
  destroyed = false;
  remote: FakeChannel | undefined;
  readonly signalled: SignalData[] = [];
  private readonly listeners = new Map<keyof PeerChannelEvents, Set<ChannelListener>>();

  constructor(
    readonly hub: FakeTransport,
    readonly id: number,
    readonly initiator: boolean,
  ) {
    if (initiator) hub.later(() => this.emit('signal', { type: 'offer', sdp: `fake-offer ${id}` }));
  }

  signal(data: SignalData): void {
    if (this.destroyed) throw new Error('signal after destroy');
    this.signalled.push(data);
    const [kind, first, second] = String(data.sdp).split(' ');
    if (!this.initiator && kind === 'fake-offer') {
      this.hub.later(() => this.emit('signal', { type: 'answer', sdp: `fake-answer ${first} ${this.id}` }));
    } else if (this.initiator && kind === 'fake-answer' && Number(first) === this.id) {
      const other = this.hub.channels.get(Number(second));
      if (!other || other.destroyed) return;
      this.remote = other;
      other.remote = this;
      this.hub.later(() => {
        for (const channel of [this, other]) {
          if (channel.destroyed) continue;
          channel.connected = true;
          channel.emit('connect');
        }
      });
    }
  }

  send(): void {}

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connected = false;
    this.hub.later(() => this.emit('close'));
  }

  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as ChannelListener);
  }

  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    this.listeners.get(event)?.delete(listener as ChannelListener);
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  emit<E extends keyof PeerChannelEvents>(event: E, ...args: Parameters<PeerChannelEvents[E]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) (listener as (...a: unknown[]) => void)(...args);
  }
}

class FakeTransport implements Transport {
  readonly channels = new Map<number, FakeChannel>();
  readonly created: FakeChannel[] = [];
  private next = 1;

  constructor(private readonly schedule: (fn: () => void) => void = (fn) => setTimeout(fn, 1)) {}

  createPeer(options: { initiator: boolean }): FakeChannel {
    const channel = new FakeChannel(this, this.next++, options.initiator);
    this.channels.set(channel.id, channel);
    this.created.push(channel);
    return channel;
  }

  later(fn: () => void): void {
    this.schedule(fn);
  }
}

// ---- a fake clock and fake WebSockets the tests drive ----

class FakeClock {
  time = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  now = (): number => this.time;

  get pending(): number {
    return this.timers.size;
  }

  /** Runs due timers in order, up to `ms` from now. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let earliest: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (!earliest || entry[1].at < earliest[1].at) earliest = entry;
      if (!earliest || earliest[1].at > target) break;
      this.timers.delete(earliest[0]);
      this.time = earliest[1].at;
      earliest[1].fn();
    }
    this.time = target;
  }
}

class FakeSocket implements WebSocketLike {
  readyState = 0;
  createdAt = 0;
  readonly sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' || data instanceof Uint8Array ? data : JSON.stringify(data) });
  }

  fail(): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({});
  }
}

// ---- helpers ----

const bin = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const id = (fill: number): Uint8Array => new Uint8Array(20).fill(fill);

/** Records every event of a client. */
function record(client: TrackerClient) {
  const events = {
    peer: [] as Parameters<TrackerClientEvents['peer']>[0][],
    warning: [] as TrackerError[],
    update: [] as Parameters<TrackerClientEvents['update']>[0][],
    connect: [] as string[],
    disconnect: [] as string[],
  };
  client.on('peer', (event) => events.peer.push(event));
  client.on('warning', (event) => events.warning.push(event));
  client.on('update', (event) => events.update.push(event));
  client.on('connect', ({ url }) => events.connect.push(url));
  client.on('disconnect', ({ url }) => events.disconnect.push(url));
  return events;
}

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- against a real p2p-seed tracker ----

describe('TrackerClient with the p2p-seed tracker', () => {
  let dir: string;
  let server: RunningServer;
  let announceUrl: string;
  const clients: TrackerClient[] = [];

  beforeEach(async () => {
    dir = await makeTempDir();
    await writeTree(dir, { 'root/.keep': '' });
    server = await startServer({ root: path.join(dir, 'root'), port: 0, playerDir: dir, examplesDir: dir, openTracker: true });
    announceUrl = `ws://127.0.0.1:${server.port}/announce`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server.close();
    await removeDir(dir);
  });

  /** Real time, 50 times faster: re-announces, floors and offer timeouts happen within the test. */
  const fastClock = {
    setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms / 50),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now() * 50,
  };

  /** A client with a pool that takes up to `capacity` peers. */
  function join(
    peerId: Uint8Array,
    transport: FakeTransport,
    options: Partial<TrackerClientOptions> & { capacity?: number } = {},
  ) {
    const pool = new Set<string>();
    const sent: Record<string, unknown>[] = [];
    const client = new TrackerClient({
      urls: [announceUrl],
      infoHash: id(0xaa),
      peerId,
      transport,
      createWebSocket: (url) => {
        const ws = new WebSocket(url);
        const send = ws.send.bind(ws);
        ws.send = (data: string | Uint8Array) => {
          sent.push(JSON.parse(String(data)) as Record<string, unknown>);
          send(data);
        };
        return ws;
      },
      wantPeers: () => (options.capacity ?? 5) - pool.size,
      hasPeer: (peer) => pool.has(peer),
      clock: fastClock,
      ...options,
    });
    clients.push(client);
    const events = record(client);
    client.on('peer', ({ peerId: peer }) => pool.add(peer));
    return { client, events, pool, sent };
  }

  it('introduces two clients of one swarm to each other exactly once', async () => {
    const transport = new FakeTransport();
    const a = join(id(1), transport);
    const b = join(id(2), transport);
    a.client.start();
    b.client.start();
    await waitFor(() => a.events.peer.length > 0 && b.events.peer.length > 0);
    await waitFor(() => a.events.peer[0]!.channel.connected && b.events.peer[0]!.channel.connected);
    // Re-announces (every ~400 ms here) keep offering: none may produce a second introduction.
    await sleep(1_500);

    expect(a.events.peer.map((event) => event.peerId)).toEqual([hex(id(2))]);
    expect(b.events.peer.map((event) => event.peerId)).toEqual([hex(id(1))]);
    const [fromA, fromB] = [a.events.peer[0]!, b.events.peer[0]!];
    expect(fromA.initiator).not.toBe(fromB.initiator);
    expect((fromA.channel as FakeChannel).remote).toBe(fromB.channel);
    expect(a.events.connect).toEqual([announceUrl]);
    expect(a.events.update.length).toBeGreaterThan(0);
    expect([...a.events.warning, ...b.events.warning]).toEqual([]);
    expect(server.tracker?.swarms()).toEqual([{ infoHash: 'aa'.repeat(20), peers: 2 }]);
  });

  it('introduces no one from another swarm', async () => {
    const transport = new FakeTransport();
    const a = join(id(1), transport);
    const b = join(id(2), transport);
    const other = join(id(3), transport, { infoHash: id(0xbb) });
    other.client.start();
    a.client.start();
    b.client.start();
    await waitFor(() => a.events.peer.length > 0 && b.events.peer.length > 0);
    await sleep(200);

    expect(other.events.peer).toEqual([]);
    for (const peer of [...a.events.peer, ...b.events.peer]) expect(peer.peerId).not.toBe(hex(id(3)));
    expect([...a.events.warning, ...b.events.warning, ...other.events.warning]).toEqual([]);
  });

  it('does not connect to a peer the pool already has, in either direction', async () => {
    const transport = new FakeTransport();
    // a's pool claims to hold everyone: it answers no offers and drops every answer.
    const a = join(id(1), transport, { hasPeer: () => true });
    const b = join(id(2), transport);
    a.client.start();
    await waitFor(() => a.sent.some((message) => Array.isArray(message.offers) && message.offers.length > 0));
    b.client.start();
    // b answers a's next offers; a must drop them instead of taking b's answers.
    await waitFor(() => b.sent.some((message) => message.answer !== undefined));
    await sleep(300);

    expect(a.events.peer).toEqual([]);
    expect(b.events.peer).toEqual([]);
    expect(a.sent.filter((message) => message.answer !== undefined)).toEqual([]);
    expect([...a.events.warning, ...b.events.warning]).toEqual([]);
  });

  it('sends no offers and answers none while the pool wants no peers', async () => {
    const transport = new FakeTransport();
    const full = join(id(1), transport, { capacity: 0 });
    const b = join(id(2), transport);
    full.client.start();
    await waitFor(() => full.events.update.length > 0);
    b.client.start();
    await waitFor(() => b.events.update.length > 0);
    await sleep(200);

    expect(full.sent.length).toBeGreaterThan(0);
    for (const message of full.sent) {
      expect(message.offers).toEqual([]);
      expect(message.answer).toBeUndefined();
    }
    expect(full.events.peer).toEqual([]);
    expect(b.events.peer).toEqual([]);
    expect([...full.events.warning, ...b.events.warning]).toEqual([]);
  });

  it("announces 'stopped' on stop() and leaves the swarm", async () => {
    const transport = new FakeTransport();
    const a = join(id(1), transport, { capacity: 0 });
    a.client.start();
    await waitFor(() => server.tracker?.swarms().length === 1);
    a.client.stop();
    expect(a.sent.at(-1)).toMatchObject({ action: 'announce', event: 'stopped' });
    await waitFor(() => server.tracker?.swarms().length === 0);
    expect(a.events.disconnect).toEqual([]);
    expect(a.events.warning).toEqual([]);
  });
});

// ---- with fake WebSockets and a fake clock ----

describe('TrackerClient with fake sockets', () => {
  const infoHash = id(0xaa);
  const ours = id(0x10);
  const theirs = id(0x20);
  const url = 'ws://tracker.test/announce';
  let clock: FakeClock;
  let sockets: FakeSocket[];
  let transport: FakeTransport;
  let random: number;
  let client: TrackerClient | undefined;

  beforeEach(() => {
    clock = new FakeClock();
    sockets = [];
    random = 0.5;
    // Channels signal on the next microtask, so the fake clock alone drives time.
    transport = new FakeTransport((fn) => queueMicrotask(fn));
  });

  afterEach(() => {
    client?.destroy();
    client = undefined;
  });

  function create(options: Partial<TrackerClientOptions> = {}) {
    client = new TrackerClient({
      urls: [url],
      infoHash,
      peerId: ours,
      transport,
      createWebSocket: (socketUrl) => {
        const socket = new FakeSocket(socketUrl);
        socket.createdAt = clock.time;
        sockets.push(socket);
        return socket;
      },
      wantPeers: () => 0,
      hasPeer: () => false,
      clock,
      random: () => random,
      ...options,
    });
    return { client, events: record(client) };
  }

  const last = () => sockets.at(-1)!;
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const response = (extra: Record<string, unknown> = {}) => ({
    action: 'announce',
    info_hash: bin(infoHash),
    interval: 30,
    complete: 0,
    incomplete: 1,
    ...extra,
  });

  /** Fails the current socket and returns the delay before the next one is created. */
  function failAndMeasure(): number {
    const before = sockets.length;
    const failedAt = clock.time;
    last().fail();
    for (let waited = 0; sockets.length === before; waited += 50) {
      if (waited > 120_000) throw new Error('no reconnect');
      clock.advance(50);
    }
    return last().createdAt - failedAt;
  }

  it('reconnects with a capped, jittered exponential backoff that resets, warning once per outage', () => {
    const { client, events } = create();
    client.start();
    random = 0.999;
    const delays = Array.from({ length: 9 }, () => failAndMeasure());
    expect(delays).toEqual([999, 1998, 3996, 7992, 15984, 31968, 59940, 59940, 59940]);
    expect(events.warning.map((w) => w.code)).toEqual(['ERR_TRACKER_UNREACHABLE']);
    expect(events.warning[0]).toMatchObject({ fatal: false, url });

    // Full jitter: the same attempt waits a random part of its ceiling.
    random = 0.25;
    expect(failAndMeasure()).toBe(15000);

    // The tracker answers: the outage is over and the backoff starts again.
    last().open();
    last().receive(response());
    expect(events.connect).toEqual([url]);
    random = 0.999;
    expect(failAndMeasure()).toBe(999);
    expect(events.disconnect).toEqual([url]);
    expect(events.warning.map((w) => w.code)).toEqual(['ERR_TRACKER_UNREACHABLE', 'ERR_TRACKER_UNREACHABLE']);
  });

  it('gives up on a socket that never connects and retries', () => {
    const { client, events } = create();
    client.start();
    clock.advance(15_000);
    expect(sockets[0]!.closed).toBe(true);
    expect(events.warning.map((w) => w.code)).toEqual(['ERR_TRACKER_UNREACHABLE']);
    clock.advance(1_000);
    expect(sockets).toHaveLength(2);
  });

  it('rejects tracker URLs that are not ws:// or wss://, with a warning each', async () => {
    const { client, events } = create({ urls: ['http://tracker.test/announce', 'not a url', url, url] });
    client.start();
    await Promise.resolve();
    expect(events.warning.map((w) => [w.code, w.url])).toEqual([
      ['ERR_TRACKER_URL', 'http://tracker.test/announce'],
      ['ERR_TRACKER_URL', 'not a url'],
    ]);
    expect(sockets.map((socket) => socket.url)).toEqual([url]);
  });

  it("announces 'started' on connect with stats, then again sooner while the pool wants peers", async () => {
    let want = 0;
    const { client } = create({ wantPeers: () => want, stats: () => ({ uploaded: 5, downloaded: 7 }) });
    client.start();
    last().open();
    expect(last().sent).toEqual([
      {
        action: 'announce',
        info_hash: bin(infoHash),
        peer_id: bin(ours),
        numwant: 0,
        uploaded: 5,
        downloaded: 7,
        event: 'started',
        offers: [],
      },
    ]);
    last().receive(response({ interval: 30 }));
    // Pool full: the tracker's interval, jittered downwards only.
    clock.advance(23_999);
    expect(last().sent).toHaveLength(1);
    clock.advance(6_001);
    expect(last().sent).toHaveLength(2);
    expect(last().sent[1]!.event).toBeUndefined();

    // Once the pool wants peers, the next announce carries offers and the one after comes sooner.
    want = 1;
    clock.advance(24_000);
    await flush();
    expect(last().sent).toHaveLength(3);
    expect((last().sent[2]!.offers as unknown[]).length).toBe(1);
    clock.advance(17_999);
    await flush();
    expect(last().sent).toHaveLength(3);
    clock.advance(1);
    await flush();
    expect(last().sent).toHaveLength(4);
  });

  it('keeps announce() above the minimum interval', () => {
    const { client } = create();
    client.start();
    last().open();
    client.announce();
    client.announce();
    expect(last().sent).toHaveLength(1);
    clock.advance(5_000);
    expect(last().sent).toHaveLength(2);
  });

  it('ignores garbage from a tracker with a warning each and never throws', () => {
    const { client, events } = create({ wantPeers: () => 5 });
    client.start();
    last().open();
    const garbage: unknown[] = [
      'not json',
      '[1, 2]',
      'x'.repeat(70 * 1024),
      new Uint8Array(70 * 1024),
      response({ info_hash: bin(id(0xbb)) }),
      response({ info_hash: 'short' }),
      response({ interval: '30' }),
      response({ complete: -1 }),
      { action: 'scrape', files: {} },
      { 'failure reason': 'go away' },
      response({ peer_id: bin(theirs), offer_id: bin(id(9)), answer: { type: 'answer', sdp: 'x' } }),
      response({ peer_id: bin(ours), offer_id: bin(id(9)), offer: { type: 'offer', sdp: 'x' } }),
      response({ peer_id: bin(theirs), offer_id: bin(id(9)), offer: 'v=0' }),
      response({ peer_id: bin(theirs), offer_id: 'short', offer: { type: 'offer', sdp: 'x' } }),
      response({ peer_id: '\u0100'.repeat(20), offer_id: bin(id(9)), offer: { type: 'offer', sdp: 'x' } }),
    ];
    for (const message of garbage) expect(() => last().receive(message)).not.toThrow();
    expect(() => last().onmessage?.({ data: { not: 'text' } })).not.toThrow();

    const codes = events.warning.map((w) => w.code);
    expect(codes).toHaveLength(garbage.length + 1);
    expect(codes.filter((code) => code === 'ERR_TRACKER_REFUSED')).toHaveLength(1);
    expect(codes.filter((code) => code === 'ERR_TRACKER_PROTOCOL')).toHaveLength(garbage.length);
    expect(transport.created.filter((channel) => !channel.initiator)).toEqual([]);
    // Still working: a good response is taken.
    last().receive(response());
    expect(events.update).toEqual([{ url, complete: 0, incomplete: 1 }]);
  });

  it('sends at most maxOffers offers and destroys the ones nobody answers', async () => {
    const { client, events } = create({ wantPeers: () => 10, maxOffers: 3, offerTimeoutMs: 50_000 });
    client.start();
    last().open();
    await flush();
    const offers = last().sent[0]!.offers as { offer: SignalData; offer_id: string }[];
    expect(offers).toHaveLength(3);
    expect(offers.every((offer) => offer.offer.type === 'offer' && offer.offer_id.length === 20)).toBe(true);
    const channels = [...transport.created];
    expect(channels).toHaveLength(3);
    expect(channels.every((channel) => !channel.destroyed)).toBe(true);

    clock.advance(50_000);
    expect(channels.every((channel) => channel.destroyed && channel.listenerCount() === 0)).toBe(true);
    // A late answer is for an offer we no longer have.
    last().receive(response({ peer_id: bin(theirs), offer_id: offers[0]!.offer_id, answer: { type: 'answer', sdp: 'late' } }));
    expect(events.warning.map((w) => w.code)).toEqual(['ERR_TRACKER_PROTOCOL']);
    expect(events.peer).toEqual([]);
  });

  it('gives up on a channel that never produces its offer', () => {
    transport = new FakeTransport(() => {}); // never signals
    const { client } = create({ wantPeers: () => 2, signalTimeoutMs: 10_000 });
    client.start();
    last().open();
    expect(last().sent).toHaveLength(0);
    clock.advance(10_000);
    expect(transport.created.map((channel) => channel.destroyed)).toEqual([true, true]);
    expect(last().sent).toEqual([expect.objectContaining({ event: 'started', offers: [] })]);
  });

  it('hands over an offered channel when its answer arrives', async () => {
    const { client, events } = create({ wantPeers: () => 1 });
    client.start();
    last().open();
    await flush();
    const [offer] = last().sent[0]!.offers as { offer_id: string }[];
    const answer = { type: 'answer', sdp: 'their answer' };
    last().receive(response({ peer_id: bin(theirs), offer_id: offer!.offer_id, answer }));
    expect(events.peer).toHaveLength(1);
    expect(events.peer[0]).toMatchObject({ peerId: hex(theirs), initiator: true });
    const channel = events.peer[0]!.channel as FakeChannel;
    expect(channel.signalled).toEqual([answer]);
    expect(channel.listenerCount()).toBe(0);
    expect(events.warning).toEqual([]);
  });

  it('answers a relayed offer when the pool wants peers and hands the channel over once connected', async () => {
    const pool = new Set<string>();
    const { client, events } = create({ wantPeers: () => 1 - pool.size, hasPeer: (peer) => pool.has(peer) });
    client.on('peer', ({ peerId }) => pool.add(peerId));
    client.start();
    last().open();
    await flush();
    last().sent.length = 0;

    // Their offer is a real channel of the fake transport, so our answer can connect to it.
    const remote = transport.createPeer({ initiator: true });
    const remoteOffer = await new Promise<SignalData>((resolve) => remote.on('signal', resolve));
    const offerId = bin(id(7));
    last().receive(response({ peer_id: bin(theirs), offer_id: offerId, offer: remoteOffer }));
    await flush();
    const [answerMessage] = last().sent;
    expect(answerMessage).toMatchObject({
      action: 'announce',
      info_hash: bin(infoHash),
      peer_id: bin(ours),
      to_peer_id: bin(theirs),
      offer_id: offerId,
      answer: { type: 'answer' },
    });
    // The same peer again, while pending: not answered twice.
    last().receive(response({ peer_id: bin(theirs), offer_id: bin(id(8)), offer: remoteOffer }));
    expect(last().sent).toHaveLength(1);
    expect(events.peer).toEqual([]);

    remote.signal(answerMessage!.answer as SignalData);
    await flush();
    expect(events.peer).toHaveLength(1);
    expect(events.peer[0]).toMatchObject({ peerId: hex(theirs), initiator: false });
    expect(events.peer[0]!.channel.connected).toBe(true);

    // Now the pool is full: another peer's offer is not answered.
    last().receive(response({ peer_id: bin(id(0x30)), offer_id: bin(id(9)), offer: remoteOffer }));
    await flush();
    expect(last().sent).toHaveLength(1);
    expect(events.warning).toEqual([]);
  });

  it.each([
    [undefined, 2],
    [16, 10],
  ])('with maxOffers 0 and maxAnswering %s, answers %i of 10 offers arriving at once', async (maxAnswering, answered) => {
    const { client } = create({ wantPeers: () => 100, hasPeer: () => false, maxOffers: 0, maxAnswering });
    client.start();
    last().open();
    await flush();
    last().sent.length = 0;
    for (let i = 0; i < 10; i += 1) {
      const remote = transport.createPeer({ initiator: true });
      const offer = await new Promise<SignalData>((resolve) => remote.on('signal', resolve));
      last().receive(response({ peer_id: bin(id(0x40 + i)), offer_id: bin(id(0x60 + i)), offer }));
    }
    await flush();
    expect(last().sent.filter((message) => message.answer !== undefined)).toHaveLength(answered);
  });

  it('answers no relayed offer while the pool wants no peers', async () => {
    const { client } = create({ wantPeers: () => 0 });
    client.start();
    last().open();
    last().receive(response({ peer_id: bin(theirs), offer_id: bin(id(7)), offer: { type: 'offer', sdp: 'fake-offer 99' } }));
    await flush();
    expect(transport.created).toEqual([]);
  });

  it('keeps exactly one of two crossing connections, the same one on both sides', async () => {
    // The test plays the tracker: each client's offer reaches the other, both answer, both answers arrive.
    const side = (peerId: Uint8Array) => {
      const own: FakeSocket[] = [];
      const pool = new Set<string>();
      const crossing = new TrackerClient({
        urls: [url],
        infoHash,
        peerId,
        transport,
        createWebSocket: (socketUrl) => {
          const socket = new FakeSocket(socketUrl);
          own.push(socket);
          return socket;
        },
        wantPeers: () => 1 - pool.size,
        hasPeer: (peer) => pool.has(peer),
        clock,
        random: () => random,
      });
      const events = record(crossing);
      crossing.on('peer', ({ peerId: peer }) => pool.add(peer));
      crossing.start();
      own[0]!.open();
      return { client: crossing, events, socket: own[0]! };
    };
    const a = side(ours);
    const b = side(theirs);
    try {
      await flush();
      const offerOf = (socket: FakeSocket) => (socket.sent[0]!.offers as { offer: SignalData; offer_id: string }[])[0]!;
      const [offerA, offerB] = [offerOf(a.socket), offerOf(b.socket)];
      a.socket.receive(response({ peer_id: bin(theirs), offer_id: offerB.offer_id, offer: offerB.offer }));
      b.socket.receive(response({ peer_id: bin(ours), offer_id: offerA.offer_id, offer: offerA.offer }));
      await flush();
      const answerOf = (socket: FakeSocket) => socket.sent.find((message) => message.answer !== undefined)!;
      const [answerA, answerB] = [answerOf(a.socket), answerOf(b.socket)];
      expect(answerA).toMatchObject({ to_peer_id: bin(theirs), offer_id: offerB.offer_id });
      expect(answerB).toMatchObject({ to_peer_id: bin(ours), offer_id: offerA.offer_id });
      a.socket.receive(response({ peer_id: bin(theirs), offer_id: offerA.offer_id, answer: answerB.answer }));
      b.socket.receive(response({ peer_id: bin(ours), offer_id: offerB.offer_id, answer: answerA.answer }));
      await flush();

      // The smaller peer id (ours) offered the surviving channel.
      expect(a.events.peer).toMatchObject([{ peerId: hex(theirs), initiator: true }]);
      expect(b.events.peer).toMatchObject([{ peerId: hex(ours), initiator: false }]);
      const [channelA, channelB] = [a.events.peer[0]!.channel as FakeChannel, b.events.peer[0]!.channel as FakeChannel];
      expect(channelA.remote).toBe(channelB);
      expect(channelA.connected && channelB.connected).toBe(true);
      const others = transport.created.filter((channel) => channel !== channelA && channel !== channelB);
      expect(others.every((channel) => channel.destroyed)).toBe(true);
      expect([...a.events.warning, ...b.events.warning]).toEqual([]);
    } finally {
      a.client.destroy();
      b.client.destroy();
    }
  });

  it('reports a throwing listener as a warning and carries on', () => {
    const { client, events } = create();
    client.on('update', () => {
      throw new Error('boom');
    });
    client.start();
    last().open();
    last().receive(response());
    expect(events.update).toHaveLength(1);
    expect(events.warning.map((w) => w.code)).toEqual(['ERR_LISTENER']);
  });

  it('destroy() closes sockets, destroys pending channels, clears every timer and is final', async () => {
    const { client, events } = create({ wantPeers: () => 3, urls: [url, 'wss://other.test/announce'] });
    client.start();
    sockets[0]!.open();
    await flush();
    sockets[0]!.receive(response({ peer_id: bin(theirs), offer_id: bin(id(7)), offer: { type: 'offer', sdp: 'fake-offer 999' } }));
    await flush();
    expect(transport.created.length).toBe(4);
    expect(clock.pending).toBeGreaterThan(0);

    client.destroy();
    client.destroy();
    expect(clock.pending).toBe(0);
    expect(sockets.every((socket) => socket.closed)).toBe(true);
    expect(transport.created.every((channel) => channel.destroyed && channel.listenerCount() === 0)).toBe(true);
    expect(events.disconnect).toEqual([]);
    for (const call of [() => client.start(), () => client.announce(), () => client.stop()]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }));
    }
    // Late events from the closed sockets do nothing.
    expect(() => sockets[0]!.receive(response())).not.toThrow();
    expect(events.update).toEqual([]);
  });

  it("announces 'completed' once, sends 'stopped' on stop(), closes, and can start again", () => {
    let left = 100;
    const { client } = create({ stats: () => ({ uploaded: 1, downloaded: 2, left }) });
    client.start();
    const first = last();
    first.open();
    expect(first.sent[0]).toMatchObject({ event: 'started', left: 100 });
    first.receive(response());
    left = 0;
    clock.advance(30_000);
    expect(first.sent[1]).toMatchObject({ event: 'completed', left: 0 });
    clock.advance(30_000);
    expect(first.sent[2]!.event).toBeUndefined();
    client.stop();
    expect(first.sent.at(-1)).toMatchObject({ event: 'stopped', uploaded: 1, downloaded: 2 });
    expect(first.sent.at(-1)!.offers).toBeUndefined();
    expect(first.closed).toBe(true);
    expect(clock.pending).toBe(0);
    client.start();
    expect(sockets).toHaveLength(2);
  });
});
