import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryTransport } from '../../../../player/src/engine/memory-transport.ts';
import { PeerSession, type PeerResult, type PeerSessionHost } from '../../../../player/src/engine/peer-session.ts';
import { TokenBucket } from '../../../../player/src/engine/rate-limit.ts';
import type { PeerChannel } from '../../../../player/src/engine/transport.ts';
import { encode, MAX_CHUNK_BYTES, type Message } from '../../../../player/src/protocol/index.ts';
import { FakeChannel } from '../fake-channel.ts';

const SWARM = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const OTHER_SWARM = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);

interface TestHost extends PeerSessionHost {
  /** What held() reports (may differ from `segments`: a segment evicted after it was announced). */
  heldList: number[];
  segments: Map<number, Uint8Array>;
  clock: number;
}

function makeHost(opts: { uploads?: boolean; segments?: [number, Uint8Array][]; held?: number[]; infoHash?: Uint8Array } = {}): TestHost {
  const segments = new Map(opts.segments ?? []);
  const host: TestHost = {
    infoHash: opts.infoHash ?? SWARM,
    uploads: opts.uploads ?? true,
    heldList: opts.held ?? [...segments.keys()],
    segments,
    clock: 1_000,
    held: () => host.heldList,
    segment: (sn) => host.segments.get(sn),
    now: () => host.clock,
  };
  return host;
}

function segmentBytes(size: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** Lets every queued microtask run (memory channels deliver in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function connectedPair(): Promise<[PeerChannel, PeerChannel]> {
  const transport = new MemoryTransport();
  const a = transport.createPeer({ initiator: true });
  const b = transport.createPeer({ initiator: false });
  a.on('signal', (data) => b.signal(data));
  b.on('signal', (data) => a.signal(data));
  await Promise.all([
    new Promise<void>((resolve) => a.on('connect', resolve)),
    new Promise<void>((resolve) => b.on('connect', resolve)),
  ]);
  return [a, b];
}

interface Observed {
  closes: string[];
  haves: { added: number[]; removed: number[] }[];
  uploads: number[];
  ready: number;
}

function observe(session: PeerSession): Observed {
  const seen: Observed = { closes: [], haves: [], uploads: [], ready: 0 };
  session.on('close', (reason) => seen.closes.push(reason));
  session.on('have', (change) => seen.haves.push(change));
  session.on('upload', (bytes) => seen.uploads.push(bytes));
  session.on('ready', () => (seen.ready += 1));
  return seen;
}

/** Two sessions over a memory channel pair, both created in the same turn so neither misses the other's hello. */
async function sessionPair(hostA: TestHost, hostB: TestHost) {
  const [channelA, channelB] = await connectedPair();
  const a = new PeerSession('b', channelA, hostA);
  const b = new PeerSession('a', channelB, hostB);
  const seenA = observe(a);
  const seenB = observe(b);
  await settle();
  return { a, b, seenA, seenB };
}

function hello(swarm = SWARM, uploads = true, maxRequests = 8): Message {
  return { type: 'hello', swarm, uploads, maxRequests };
}

/** A session on a fake channel, its hello already answered unless `greet` is false. */
function rawSession(host = makeHost(), greet = true) {
  const channel = new FakeChannel();
  const session = new PeerSession('remote', channel, host);
  const seen = observe(session);
  if (greet) channel.deliver(hello());
  return { channel, session, seen, host };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PeerSession between two sessions', () => {
  it('exchanges hello, announces what it holds at open and later changes', async () => {
    const hostA = makeHost({ segments: [[1, segmentBytes(10)], [2, segmentBytes(10)], [3, segmentBytes(10)]] });
    const hostB = makeHost({ segments: [[9, segmentBytes(10)]] });
    const { a, b, seenA, seenB } = await sessionPair(hostA, hostB);

    expect(a.ready).toBe(true);
    expect(b.ready).toBe(true);
    expect(seenA.ready).toBe(1);
    expect(seenB.ready).toBe(1);
    expect(a.remoteMaxRequests).toBe(8);
    expect(seenB.haves).toEqual([{ added: [1, 2, 3], removed: [] }]);
    expect(seenA.haves).toEqual([{ added: [9], removed: [] }]);
    expect([1, 2, 3, 4].map((sn) => b.has(sn))).toEqual([true, true, true, false]);
    expect(a.has(9)).toBe(true);

    a.announce([4, 5], [1]);
    await settle();
    expect(seenB.haves[1]).toEqual({ added: [4, 5], removed: [1] });
    expect([1, 2, 3, 4, 5].map((sn) => b.has(sn))).toEqual([false, true, true, true, true]);
    expect(seenA.closes).toEqual([]);
    expect(seenB.closes).toEqual([]);
  });

  it('serves segments read asynchronously (from disk), answers absent when the read fails, and drops a cancelled read', async () => {
    const segment = segmentBytes(30_000);
    const server = makeHost({ held: [1, 2, 3] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server.segment = (sn) =>
      sn === 1 ? gate.then(() => segment) : sn === 2 ? Promise.reject(new Error('EIO')) : gate.then(() => segmentBytes(10));
    const client = makeHost();
    const { a, b } = await sessionPair(client, server);
    const one = a.request(1);
    const two = a.request(2);
    const three = a.request(3);
    expect((await two.result).status).toBe('absent');
    three.cancel();
    release();
    const result = await one.result;
    expect(result.status).toBe('ok');
    expect(Buffer.from((result as Extract<PeerResult, { status: 'ok' }>).bytes).equals(Buffer.from(segment))).toBe(true);
    await settle();
    expect((await three.result).status).toBe('cancelled');
    expect(b.bytesUp).toBe(30_000);
  });

  it.each([1, 16_384, 16_385, 200_000])('transfers a %i-byte segment intact and counts it', async (size) => {
    const segment = segmentBytes(size, size & 0xff);
    const server = makeHost({ segments: [[42, segment]] });
    const client = makeHost();
    const { a, b, seenB } = await sessionPair(client, server);

    client.clock = 2_000;
    const request = a.request(42);
    expect(request.sn).toBe(42);
    expect(request.startedAt).toBe(2_000);
    expect(a.inflight).toBe(1);
    client.clock = 2_250; // the transfer "takes" 250 ms on the requester's clock
    const result = await request.result;

    expect(result.status).toBe('ok');
    const bytes = (result as Extract<PeerResult, { status: 'ok' }>).bytes;
    expect(bytes.byteLength).toBe(size);
    expect(Buffer.from(bytes).equals(Buffer.from(segment))).toBe(true);
    expect(request.received).toBe(size);
    expect(request.total).toBe(size);
    expect(a.inflight).toBe(0);
    expect(a.throughput).toBe((size * 1000) / 250);
    expect(a.bytesDown).toBe(size);
    expect(a.bytesUp).toBe(0);
    expect(b.bytesUp).toBe(size);
    expect(b.bytesDown).toBe(0);
    expect(seenB.uploads.reduce((sum, n) => sum + n, 0)).toBe(size);
    expect(seenB.uploads.length).toBe(Math.ceil(size / MAX_CHUNK_BYTES));
  });

  it('averages throughput over transfers and resets failures on success', async () => {
    const server = makeHost({ segments: [[1, segmentBytes(10_000)], [2, segmentBytes(10_000)]], held: [1, 2, 3] });
    const client = makeHost();
    const { a } = await sessionPair(client, server);

    expect((await a.request(3).result).status).toBe('absent');
    expect(a.failures).toBe(1);

    const first = a.request(1);
    client.clock += 100;
    await first.result;
    expect(a.throughput).toBe(100_000);
    expect(a.failures).toBe(0);

    const second = a.request(2);
    client.clock += 1_000;
    await second.result;
    expect(a.throughput).toBeCloseTo(0.7 * 100_000 + 0.3 * 10_000, 6);
  });

  it('answers absent for a segment it does not hold, and the requester forgets it', async () => {
    // Announced at open, evicted before the request arrives.
    const server = makeHost({ held: [7] });
    const client = makeHost();
    const { a, seenA } = await sessionPair(client, server);
    expect(a.has(7)).toBe(true);

    const result = await a.request(7).result;
    expect(result).toEqual({ status: 'absent' });
    expect(a.failures).toBe(1);
    expect(a.has(7)).toBe(false);
    expect(a.inflight).toBe(0);
    expect(seenA.closes).toEqual([]);
  });

  it('cancels a request; chunks already in flight are ignored without closing', async () => {
    const segment = segmentBytes(200_000);
    const server = makeHost({ segments: [[5, segment]] });
    const client = makeHost();
    const { a, b, seenA, seenB } = await sessionPair(client, server);

    const request = a.request(5);
    request.cancel();
    request.cancel(); // a second cancel is a no-op
    expect(await request.result).toEqual({ status: 'cancelled' });
    expect(a.inflight).toBe(0);
    await settle();

    // The server had already sent every chunk before the cancel reached it; the client dropped them all.
    expect(b.bytesUp).toBe(200_000);
    expect(a.bytesDown).toBe(0);
    expect(seenA.closes).toEqual([]);
    expect(seenB.closes).toEqual([]);

    const again = await a.request(5).result;
    expect(again.status).toBe('ok');
    expect(a.bytesDown).toBe(200_000);
  });

  it('serves nothing and announces nothing when download-only', async () => {
    const client = makeHost();
    const downloadOnly = makeHost({ uploads: false, segments: [[1, segmentBytes(100)]] });
    const { a, b, seenA, seenB } = await sessionPair(client, downloadOnly);

    expect(a.remoteUploads).toBe(false);
    expect(b.remoteUploads).toBe(true);
    b.announce([2], []);
    await settle();
    expect(seenA.haves).toEqual([]);
    expect(a.has(1)).toBe(false);
    expect(a.has(2)).toBe(false);

    expect(await a.request(1).result).toEqual({ status: 'absent' });
    expect(b.bytesUp).toBe(0);
    expect(seenB.uploads).toEqual([]);
    expect(seenA.closes).toEqual([]);
    expect(seenB.closes).toEqual([]);
  });

  it('closing one side closes the other with a reason', async () => {
    const { a, b, seenA, seenB } = await sessionPair(makeHost(), makeHost());
    const pending = b.request(3);
    a.close('bye');
    await settle();
    expect(seenA.closes).toEqual(['bye']);
    expect(seenB.closes).toEqual(['connection closed']);
    expect(await pending.result).toEqual({ status: 'closed' });
    expect(() => b.request(4)).toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }));
  });
});

describe('PeerSession against a hand-driven channel', () => {
  it('sends hello and full availability at open', () => {
    const { channel } = rawSession(makeHost({ segments: [[3, segmentBytes(5)], [4, segmentBytes(5)]] }), false);
    expect(channel.sent).toEqual([
      { type: 'hello', swarm: SWARM, uploads: true, maxRequests: 8 },
      { type: 'have', added: [3, 4], removed: [] },
    ]);
  });

  it('a download-only host never sends have', () => {
    const { channel, session } = rawSession(makeHost({ uploads: false, segments: [[3, segmentBytes(5)]] }));
    session.announce([5], [3]);
    expect(channel.sent).toEqual([{ type: 'hello', swarm: SWARM, uploads: false, maxRequests: 8 }]);
  });

  it('caps the remote request budget at the protocol limit', () => {
    const { channel, session } = rawSession(makeHost(), false);
    channel.deliver(hello(SWARM, true, 64));
    expect(session.remoteMaxRequests).toBe(64);
  });

  it('partial() returns the contiguous prefix received so far', () => {
    const { channel, session, seen } = rawSession();
    const segment = segmentBytes(40_000);
    const request = session.request(11);
    const [sent] = channel.sentOf('request');
    expect(sent.sn).toBe(11);
    expect(request.partial().byteLength).toBe(0);

    channel.deliver({ type: 'data', requestId: sent.requestId, sn: 11, offset: 0, total: 40_000, bytes: segment.subarray(0, 16_384) });
    channel.deliver({ type: 'data', requestId: sent.requestId, sn: 11, offset: 16_384, total: 40_000, bytes: segment.subarray(16_384, 16_484) });

    expect(request.received).toBe(16_484);
    expect(request.total).toBe(40_000);
    const partial = request.partial();
    expect(partial.byteLength).toBe(16_484);
    expect(Buffer.from(partial).equals(Buffer.from(segment.subarray(0, 16_484)))).toBe(true);
    expect(session.bytesDown).toBe(16_484);
    expect(seen.closes).toEqual([]);
  });

  it('stops serving a request the peer cancels', () => {
    const { channel, session } = rawSession(makeHost({ segments: [[1, segmentBytes(100_000)]] }));
    channel.bufferedAmount = 2 << 20;
    channel.deliver({ type: 'request', requestId: 4, sn: 1 });
    channel.deliver({ type: 'cancel', requestId: 4 });
    channel.bufferedAmount = 0;
    channel.fire('drain', undefined);
    expect(channel.sentOf('data')).toEqual([]);
    expect(session.bytesUp).toBe(0);
  });

  // Found by peer-session-fuzz.test.ts: a request stayed "in flight" after its last chunk while the pump waited.
  it('frees a request at its last chunk, even while the pump waits for an upload limit', () => {
    vi.useFakeTimers();
    const host = makeHost({ segments: [[1, segmentBytes(100)], [2, segmentBytes(3 * MAX_CHUNK_BYTES)]] });
    host.uploadLimits = [new TokenBucket(MAX_CHUNK_BYTES, { burst: MAX_CHUNK_BYTES, now: () => Date.now() })];
    const { channel, seen } = rawSession(host);
    channel.deliver({ type: 'request', requestId: 1, sn: 1 });
    expect(channel.sentOf('data')).toHaveLength(1); // all of segment 1; the bucket now makes the pump wait
    for (let id = 2; id <= 8; id += 1) channel.deliver({ type: 'request', requestId: id, sn: 2 });
    // The peer holds request 1 whole, so it has 7 in flight and may reuse the id.
    channel.deliver({ type: 'request', requestId: 1, sn: 2 });
    expect(seen.closes).toEqual([]);
  });

  // Found by peer-session-fuzz.test.ts: a cancel does not stop a read, so request-and-cancel started reads unbounded.
  it('answers absent rather than start more than 16 reads for requests the peer keeps cancelling', () => {
    const host = makeHost({ held: [1] });
    let reads = 0;
    host.segment = () => {
      reads += 1;
      return new Promise<undefined>(() => {});
    };
    const { channel, seen } = rawSession(host);
    for (let id = 1; id <= 100; id += 1) {
      channel.deliver({ type: 'request', requestId: id, sn: 1 });
      channel.deliver({ type: 'cancel', requestId: id });
    }
    expect(reads).toBe(16);
    expect(channel.sentOf('absent')).toHaveLength(84);
    expect(seen.closes).toEqual([]);
  });

  // Found by peer-session-fuzz.test.ts: the cancelled read, finishing later, was served under the reused id.
  it('serves a request id reused after a cancel with its own segment, not the cancelled read', async () => {
    const host = makeHost({ held: [1, 2] });
    const reads: (() => void)[] = [];
    host.segment = (sn) => new Promise((resolve) => reads.push(() => resolve(segmentBytes(10, sn))));
    const { channel, seen } = rawSession(host);
    channel.deliver({ type: 'request', requestId: 5, sn: 1 });
    channel.deliver({ type: 'cancel', requestId: 5 });
    channel.deliver({ type: 'request', requestId: 5, sn: 2 });
    for (const finish of reads) finish();
    await settle();
    expect(channel.sentOf('data')).toEqual([{ type: 'data', requestId: 5, sn: 2, offset: 0, total: 10, bytes: segmentBytes(10, 2) }]);
    expect(seen.closes).toEqual([]);
  });
  it('ignores an absent that arrives after its request was cancelled', () => {
    const { channel, session, seen } = rawSession();
    const request = session.request(2);
    const [sent] = channel.sentOf('request');
    request.cancel();
    expect(channel.sentOf('cancel')).toEqual([{ type: 'cancel', requestId: sent.requestId }]);
    channel.deliver({ type: 'absent', requestId: sent.requestId, sn: 2 });
    expect(seen.closes).toEqual([]);
    expect(session.failures).toBe(0);
  });

  it('a download-only remote that announces segments is closed', async () => {
    const { channel, session, seen } = rawSession(makeHost(), false);
    const pending = session.request(1);
    channel.deliver(hello(SWARM, false));
    channel.deliver({ type: 'have', added: [], removed: [5] }); // losing segments is harmless
    expect(seen.closes).toEqual([]);
    channel.deliver({ type: 'have', added: [5], removed: [] });
    expect(seen.closes).toEqual(['download-only peer announced segments']);
    expect(session.has(5)).toBe(false);
    expect(await pending.result).toEqual({ status: 'closed' });
  });

  describe('closes on hostile input and settles pending requests as closed', () => {
    type Case = { name: string; reason: string | RegExp; greet?: boolean; host?: () => TestHost; act: (channel: FakeChannel, requestId: number) => void };
    const segmentHost = (): TestHost => makeHost({ segments: [[1, segmentBytes(100_000)]] });
    const cases: Case[] = [
      { name: 'garbage bytes', reason: 'malformed message (ERR_PROTOCOL_VERSION)', act: (c) => c.fire('data', Uint8Array.from([0xde, 0xad, 0xbe, 0xef])) },
      { name: 'a truncated message', reason: 'malformed message (ERR_PROTOCOL_LENGTH)', act: (c) => c.fire('data', Uint8Array.from([1, 2, 0])) },
      { name: 'a message before hello', reason: 'message before hello', greet: false, act: (c) => c.deliver({ type: 'have', added: [1], removed: [] }) },
      { name: 'a second hello', reason: 'second hello', act: (c) => c.deliver(hello()) },
      { name: 'hello for another swarm', reason: 'peer is in another swarm', greet: false, act: (c) => c.deliver(hello(OTHER_SWARM)) },
      {
        name: 'data for a request never made',
        reason: 'data that was not asked for',
        act: (c, id) => c.deliver({ type: 'data', requestId: id + 1, sn: 1, offset: 0, total: 10, bytes: new Uint8Array(10) }),
      },
      {
        name: 'data for another sn than requested',
        reason: 'data for another segment',
        act: (c, id) => c.deliver({ type: 'data', requestId: id, sn: 2, offset: 0, total: 10, bytes: new Uint8Array(10) }),
      },
      {
        name: 'data at the wrong offset',
        reason: 'data out of order',
        act: (c, id) => {
          c.deliver({ type: 'data', requestId: id, sn: 1, offset: 0, total: 100, bytes: new Uint8Array(10) });
          c.deliver({ type: 'data', requestId: id, sn: 1, offset: 20, total: 100, bytes: new Uint8Array(10) });
        },
      },
      {
        name: 'a first chunk that does not start at 0',
        reason: 'data out of order',
        act: (c, id) => c.deliver({ type: 'data', requestId: id, sn: 1, offset: 10, total: 100, bytes: new Uint8Array(10) }),
      },
      {
        name: 'data with a changing total',
        reason: 'data out of order',
        act: (c, id) => {
          c.deliver({ type: 'data', requestId: id, sn: 1, offset: 0, total: 100, bytes: new Uint8Array(10) });
          c.deliver({ type: 'data', requestId: id, sn: 1, offset: 10, total: 200, bytes: new Uint8Array(10) });
        },
      },
      { name: 'absent for an unknown request', reason: 'absent for a request that was not made', act: (c, id) => c.deliver({ type: 'absent', requestId: id + 5, sn: 1 }) },
      { name: 'absent for another segment', reason: 'absent for another segment', act: (c, id) => c.deliver({ type: 'absent', requestId: id, sn: 9 }) },
      {
        name: 'more than 8 requests in flight',
        reason: 'too many requests in flight',
        host: segmentHost,
        act: (c) => {
          c.bufferedAmount = 2 << 20; // nothing gets served, so every request stays in flight
          for (let id = 1; id <= 9; id += 1) c.deliver({ type: 'request', requestId: id, sn: 1 });
        },
      },
      {
        name: 'a duplicate request id',
        reason: 'duplicate request id',
        host: segmentHost,
        act: (c) => {
          c.bufferedAmount = 2 << 20;
          c.deliver({ type: 'request', requestId: 3, sn: 1 });
          c.deliver({ type: 'request', requestId: 3, sn: 1 });
        },
      },
      {
        name: 'announcing over 100 000 segments',
        reason: 'announced too many segments',
        act: (c) => {
          for (let m = 0; m < 98; m += 1) c.deliver({ type: 'have', added: Array.from({ length: 1024 }, (_, i) => m * 1024 + i), removed: [] });
        },
      },
      { name: 'a channel error', reason: 'connection error: boom', act: (c) => c.fire('error', new Error('boom')) },
      { name: 'the channel closing', reason: 'connection closed', act: (c) => c.fire('close', undefined) },
    ];

    it.each(cases)('$name', async ({ reason, greet, host, act }) => {
      const { channel, session, seen } = rawSession(host?.() ?? makeHost(), false);
      const pending = session.request(1);
      const requestId = channel.sentOf('request')[0].requestId;
      if (greet !== false) channel.deliver(hello());
      expect(seen.closes).toEqual([]);

      act(channel, requestId);

      expect(seen.closes).toHaveLength(1);
      if (typeof reason === 'string') expect(seen.closes[0]).toBe(reason);
      else expect(seen.closes[0]).toMatch(reason);
      expect(channel.destroyed).toBe(1);
      expect(channel.listenerCount()).toBe(0);
      expect(session.inflight).toBe(0);
      expect(await pending.result).toEqual({ status: 'closed' });
    });

    it('accepts 8 requests in flight and up to 100 000 announced segments', () => {
      const { channel, session, seen } = rawSession(makeHost({ segments: [[1, segmentBytes(100_000)]] }));
      channel.bufferedAmount = 2 << 20;
      for (let id = 1; id <= 8; id += 1) channel.deliver({ type: 'request', requestId: id, sn: 1 });
      for (let m = 0; m < 97; m += 1) channel.deliver({ type: 'have', added: Array.from({ length: 1024 }, (_, i) => m * 1024 + i), removed: [] });
      channel.deliver({ type: 'have', added: Array.from({ length: 100_000 - 97 * 1024 }, (_, i) => 97 * 1024 + i), removed: [] });
      expect(seen.closes).toEqual([]);
      expect(session.has(99_999)).toBe(true);
      expect(seen.haves).toHaveLength(98);
    });

    it('closes when no hello arrives within 10 s', async () => {
      vi.useFakeTimers();
      const { session, seen } = rawSession(makeHost(), false);
      const pending = session.request(1);
      vi.advanceTimersByTime(9_999);
      expect(seen.closes).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(seen.closes).toEqual(['no hello']);
      expect(await pending.result).toEqual({ status: 'closed' });
    });

    it('does not time out once hello arrived', () => {
      vi.useFakeTimers();
      const { seen } = rawSession();
      vi.advanceTimersByTime(60_000);
      expect(seen.closes).toEqual([]);
    });
  });

  it('stops sending above the high-water mark and resumes on drain', () => {
    const size = 3 << 20; // 192 chunks of 16 KiB
    const { channel, session, seen } = rawSession(makeHost({ segments: [[1, segmentBytes(size)]] }));
    channel.sent.length = 0;
    channel.accumulate = true;
    const perChunk = encode({ type: 'data', requestId: 1, sn: 1, offset: 0, total: size, bytes: new Uint8Array(MAX_CHUNK_BYTES) }).byteLength;
    // It sends while bufferedAmount <= 1 MiB, so it stops just past it.
    const burst = Math.floor((1 << 20) / perChunk) + 1;
    expect(burst).toBe(64);

    channel.deliver({ type: 'request', requestId: 1, sn: 1 });
    expect(channel.sentOf('data')).toHaveLength(burst);
    expect(channel.bufferedAmount).toBeGreaterThan(1 << 20);
    expect(session.bytesUp).toBe(burst * MAX_CHUNK_BYTES);

    // A drain while the buffer is still above the mark sends nothing more.
    channel.fire('drain', undefined);
    expect(channel.sentOf('data')).toHaveLength(burst);

    // A second request queues behind the first.
    channel.deliver({ type: 'request', requestId: 2, sn: 1 });
    expect(channel.sentOf('data')).toHaveLength(burst);

    for (let round = 2; round <= 6; round += 1) {
      channel.bufferedAmount = 0;
      channel.fire('drain', undefined);
      expect(channel.sentOf('data')).toHaveLength(burst * round);
    }
    const data = channel.sentOf('data');
    expect(data.slice(0, 192).every((m) => m.requestId === 1)).toBe(true);
    expect(data.slice(192).every((m) => m.requestId === 2)).toBe(true);
    expect(data.slice(0, 192).map((m) => m.offset)).toEqual(Array.from({ length: 192 }, (_, i) => i * MAX_CHUNK_BYTES));
    expect(session.bytesUp).toBe(2 * size);
    expect(seen.uploads.reduce((sum, n) => sum + n, 0)).toBe(2 * size);

    channel.bufferedAmount = 0;
    channel.fire('drain', undefined);
    expect(channel.sentOf('data')).toHaveLength(384);
    expect(seen.closes).toEqual([]);
  });

  it('keeps to its upload limits: a burst, then the rate, with the shared bucket charged too', () => {
    vi.useFakeTimers();
    const size = 40 * MAX_CHUNK_BYTES;
    const host = makeHost({ segments: [[1, segmentBytes(size)]] });
    host.now = () => Date.now();
    // 4 chunks a second to this peer; the shared bucket is wider and must only be charged.
    const perPeer = new TokenBucket(4 * MAX_CHUNK_BYTES, { burst: 2 * MAX_CHUNK_BYTES, now: () => Date.now() });
    const shared = new TokenBucket(100 * MAX_CHUNK_BYTES, { burst: 100 * MAX_CHUNK_BYTES, now: () => Date.now() });
    host.uploadLimits = [perPeer, shared];
    const { channel, session, seen } = rawSession(host);
    channel.deliver({ type: 'request', requestId: 1, sn: 1 });
    expect(channel.sentOf('data')).toHaveLength(2);
    // The shared bucket was charged for those two chunks: its full burst is not there any more.
    expect(shared.delay(100 * MAX_CHUNK_BYTES)).toBeGreaterThan(0);
    vi.advanceTimersByTime(1_000);
    expect(channel.sentOf('data')).toHaveLength(6);
    vi.advanceTimersByTime(9_000);
    expect(channel.sentOf('data')).toHaveLength(40);
    expect(session.bytesUp).toBe(size);
    vi.advanceTimersByTime(60_000);
    expect(channel.sentOf('data')).toHaveLength(40);
    expect(seen.closes).toEqual([]);
  });

  it('a session waiting for its upload limit leaves no timer behind when it closes', () => {
    vi.useFakeTimers();
    const host = makeHost({ segments: [[1, segmentBytes(8 * MAX_CHUNK_BYTES)]] });
    host.uploadLimits = [new TokenBucket(MAX_CHUNK_BYTES, { burst: MAX_CHUNK_BYTES, now: () => Date.now() })];
    const { channel, session } = rawSession(host);
    channel.deliver({ type: 'request', requestId: 1, sn: 1 });
    expect(channel.sentOf('data')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    session.close('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() is idempotent, destroys the channel and emits close once', async () => {
    const { channel, session, seen } = rawSession();
    const pending = session.request(1);
    session.close('done');
    session.close('again');
    expect(seen.closes).toEqual(['done']);
    expect(channel.destroyed).toBe(1);
    expect(channel.listenerCount()).toBe(0);
    expect(await pending.result).toEqual({ status: 'closed' });
    expect(() => session.request(2)).toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }));
    const sentBefore = channel.sent.length;
    session.announce([1], []);
    expect(channel.sent.length).toBe(sentBefore);
  });

  it('close() leaves no timer behind', () => {
    vi.useFakeTimers();
    const { session } = rawSession(makeHost(), false);
    expect(vi.getTimerCount()).toBe(1);
    session.close('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closes when sending fails, leaving no timer behind', () => {
    vi.useFakeTimers();
    const channel = new FakeChannel();
    channel.send = () => {
      throw new Error('not open');
    };
    const session = new PeerSession('remote', channel, makeHost());
    const closes: string[] = [];
    session.on('close', (r) => closes.push(r));
    // The hello in the constructor already failed; the session is closed before anyone listened.
    expect(channel.destroyed).toBe(1);
    expect(() => session.request(1)).toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }));
    expect(closes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
