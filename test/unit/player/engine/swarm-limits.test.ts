import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomPeerId } from '../../../../player/src/engine/info-hash.ts';
import { MemoryTransport } from '../../../../player/src/engine/memory-transport.ts';
import { Swarm, type SwarmOptions, type SwarmSegments } from '../../../../player/src/engine/swarm.ts';
import type { WebSocketLike } from '../../../../player/src/engine/tracker-client.ts';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';

// Swarms in one process: a real p2p-seed tracker on 127.0.0.1, peers joined through in-memory channels.
let server: RunningServer;
let root: string;
let tracker: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-swarm-limits-'));
  server = await startServer({ root, port: 0, openTracker: true });
  tracker = `ws://127.0.0.1:${server.port}/announce`;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function segments(held: Map<number, Uint8Array> = new Map()): SwarmSegments {
  return { held: () => [...held.keys()], segment: (sn) => held.get(sn), watch: () => () => {} };
}

function swarm(infoHash: Uint8Array, transport: MemoryTransport, extra: Partial<SwarmOptions> = {}): Swarm {
  return new Swarm({
    key: 'v',
    infoHash,
    peerId: randomPeerId(),
    trackers: [tracker],
    transport,
    createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    segments: segments(),
    uploads: true,
    maxPeers: 10,
    now: () => performance.now(),
    random: Math.random,
    logger: () => {},
    ...extra,
  });
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Swarm limits', () => {
  it('a peer budget shared by two swarms caps the peers of both together', async () => {
    const transport = new MemoryTransport();
    const hashes = [new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)];
    const cap = 3;
    const served: Swarm[] = [];
    const budget = (): number => cap - served.reduce((n, s) => n + s.size, 0);
    // The capped side answers offers only (like the seeder); five viewers in each of its two swarms offer.
    const servedIds = hashes.map(() => randomPeerId());
    hashes.forEach((hash, i) => served.push(swarm(hash, transport, { maxOffers: 0, peerBudget: budget, peerId: servedIds[i] })));
    const servedHex = servedIds.map((id) => Buffer.from(id).toString('hex'));
    await sleep(300);
    const viewers = hashes.flatMap((hash) => Array.from({ length: 5 }, () => swarm(hash, transport, { maxPeers: 2 })));
    try {
      await until(() => served.reduce((n, s) => n + s.peerCount, 0) >= cap);
      // Give the other viewers' offers (they re-announce while short of peers) time to be refused.
      await sleep(2_500);
      expect(served.reduce((n, s) => n + s.size, 0)).toBe(cap);
      // Viewers also meet each other; those connected to the capped side are exactly `cap`.
      expect(viewers.filter((v) => servedHex.some((id) => v.session(id)?.ready))).toHaveLength(cap);
    } finally {
      [...served, ...viewers].forEach((s) => s.destroy());
    }
  });

  it('an upload limit per peer holds a fast channel to its rate', async () => {
    const transport = new MemoryTransport();
    const hash = new Uint8Array(20).fill(3);
    const size = 256 * 1024;
    const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const rate = 512 * 1024;
    const source = swarm(hash, transport, { segments: segments(new Map([[0, bytes]])), uploadLimit: { perPeer: rate } });
    const fetcher = swarm(hash, transport, { uploads: false });
    try {
      await until(() => fetcher.peerCount === 1 && source.peerCount === 1);
      await until(() => fetcher.views(0)[0]?.has === true);
      const session = fetcher.session(fetcher.views(0)[0]!.id)!;
      // Four segments back to back: 1 MiB through a 512 KiB/s limit with a 128 KiB burst.
      const started = performance.now();
      const results = await Promise.all([0, 0, 0, 0].map((sn) => session.request(sn).result));
      const seconds = (performance.now() - started) / 1000;
      expect(results.every((r) => r.status === 'ok' && r.bytes.byteLength === size)).toBe(true);
      // What a user of --peer-upload-limit notices: the transfer took about as long as the limit says, not less.
      expect(seconds).toBeGreaterThanOrEqual((4 * size - 128 * 1024) / rate - 0.05);
    } finally {
      source.destroy();
      fetcher.destroy();
    }
  });

  it('a peer that asks for the same segment over and over gets four copies, then is banned', async () => {
    const transport = new MemoryTransport();
    const hash = new Uint8Array(20).fill(4);
    const bytes = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 13) & 0xff);
    const other = bytes.slice(0, 1000);
    const source = swarm(hash, transport, { segments: segments(new Map([[0, bytes], [1, other]])) });
    const looper = swarm(hash, transport, { uploads: false });
    const closes: string[] = [];
    source.on('peerclose', ({ reason }) => closes.push(reason));
    try {
      await until(() => looper.peerCount === 1 && looper.views(0)[0]?.has === true);
      const session = looper.session(looper.views(0)[0]!.id)!;
      // A copy of another segment does not count; a request cancelled at once does (its copy had begun).
      expect((await session.request(1).result).status).toBe('ok');
      session.request(0).cancel();
      const results: string[] = [];
      for (let i = 0; i < 4; i += 1) results.push((await session.request(0).result).status);
      expect(results).toEqual(['ok', 'ok', 'ok', 'closed']);
      expect(closes).toEqual(['banned: asked for the same segment over and over (0)']);
      // Banned for the swarm's life: its next offers go unanswered.
      await sleep(6_000);
      expect(source.peerCount).toBe(0);
    } finally {
      source.destroy();
      looper.destroy();
    }
  }, 30_000);
});
