import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineWarning, SegmentInfo } from '../../../../player/src/engine/engine.ts';
import { P2PEngine } from '../../../../player/src/engine/engine.ts';
import type { SegmentVerifier } from '../../../../player/src/engine/integrity.ts';
import { MemoryTransport } from '../../../../player/src/engine/memory-transport.ts';
import type { WebSocketLike } from '../../../../player/src/engine/tracker-client.ts';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';

// engine.details(): what the stats panel shows, read from engines trading through a real p2p-seed tracker.
let open: RunningServer;
let closed: RunningServer;
let root: string;
let tracker: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-details-'));
  open = await startServer({ root, port: 0, openTracker: true, seed: false });
  // Serves only the (empty) collection's swarms: refuses every announce.
  closed = await startServer({ root, port: 0, seed: false });
  tracker = `ws://127.0.0.1:${open.port}/announce`;
});

afterAll(async () => {
  await open.close();
  await closed.close();
  await rm(root, { recursive: true, force: true });
});

const BASE = 'http://origin.test/v/master.m3u8';
const LEVEL = 'http://origin.test/v/360p/index.m3u8';
const SIZE = 50_000;

function engine(swarmId: string, opts: { trackers?: string[]; verifier?: SegmentVerifier; warnings?: EngineWarning[] } = {}): P2PEngine {
  const e = new P2PEngine(
    { transport: new MemoryTransport(), createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike },
    { baseUrl: BASE, uploads: true, playhead: () => 0 },
  );
  // Warnings are expected only where a test says so.
  const warnings = opts.warnings;
  e.on('warning', (w) => {
    if (!warnings) throw new Error(`unexpected warning ${w.code}: ${w.message}`);
    warnings.push(w);
  });
  e.configure({ swarmId, trackers: opts.trackers ?? [tracker], verifier: opts.verifier });
  e.join(LEVEL);
  return e;
}

const info = (sn: number): SegmentInfo => ({
  levelUrl: LEVEL,
  sn,
  url: `http://origin.test/v/360p/seg-${sn}.m4s`,
  start: sn * 4,
  duration: 4,
  expectedBytes: SIZE,
});

const bytesOf = (sn: number): Uint8Array => new Uint8Array(SIZE).fill(sn + 1);

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function fetchFromPeer(e: P2PEngine, sn: number): Promise<string> {
  const plan = await e.plan(info(sn));
  if (plan.kind !== 'peer') throw new Error(`expected a peer plan, got ${plan.kind}`);
  return (await plan.outcome).status;
}

const hex = (e: P2PEngine): string => [...e.peerId].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('P2PEngine.details()', () => {
  it('lists each connected peer with the bytes and rates both ways, the swarm and its tracker', async () => {
    const a = engine('details-peers');
    const b = engine('details-peers');
    try {
      for (const sn of [0, 1]) a.httpLoaded(info(sn), bytesOf(sn));
      await until(() => a.stats.peers === 1 && b.stats.peers === 1);
      expect(await fetchFromPeer(b, 0)).toBe('ok');
      expect(await fetchFromPeer(b, 1)).toBe('ok');

      const db = b.details();
      expect(db).toMatchObject({ swarmId: 'details-peers', peerId: hex(b) });
      expect(db.swarms).toEqual([
        { key: '360p/index.m3u8', infoHash: expect.stringMatching(/^[0-9a-f]{40}$/), peers: 1, trackers: [{ url: tracker, status: 'connected' }] },
      ]);
      expect(db.peers).toEqual([
        {
          id: hex(a),
          swarm: '360p/index.m3u8',
          downloadedBytes: 2 * SIZE,
          uploadedBytes: 0,
          downloadRate: expect.any(Number),
          uploadRate: 0,
          rejectedSegments: 0,
          seeder: false,
          uploads: true,
        },
      ]);
      // Two segments within the last second or two: the rate is the bytes over at most the 5 s window.
      expect(db.peers[0].downloadRate).toBeGreaterThanOrEqual((2 * SIZE) / 5);
      expect(db.peers[0].downloadRate).toBeLessThanOrEqual(2 * SIZE);

      const [row] = a.details().peers;
      expect(row).toMatchObject({ id: hex(b), uploadedBytes: 2 * SIZE, downloadedBytes: 0 });
      expect(row.uploadRate).toBeGreaterThan(0);
      // The engine's own totals agree with the rows.
      expect(a.stats.uploadBytes).toBe(row.uploadedBytes);
      expect(b.stats.p2pBytes).toBe(db.peers[0].downloadedBytes);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('a snapshot is plain data that does not change afterwards', async () => {
    const a = engine('details-snapshot');
    const b = engine('details-snapshot');
    try {
      a.httpLoaded(info(0), bytesOf(0));
      await until(() => b.stats.peers === 1);
      const before = b.details();
      const copy = structuredClone(before);
      expect(await fetchFromPeer(b, 0)).toBe('ok');
      expect(before).toEqual(copy);
      expect(b.details().peers[0].downloadedBytes).toBe(SIZE);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('counts segments a peer sent that could not be checked against that peer', async () => {
    const a = engine('details-rejected');
    // A manifest that names the segment but has no digest for it: the bytes are dropped, the peer is not banned.
    const unknown: SegmentVerifier = { covers: () => true, verify: async () => 'unknown' };
    const b = engine('details-rejected', { verifier: unknown });
    try {
      a.httpLoaded(info(0), bytesOf(0));
      await until(() => b.stats.peers === 1);
      expect(await fetchFromPeer(b, 0)).toBe('fallback');
      expect(b.details().peers).toMatchObject([{ id: hex(a), rejectedSegments: 1, downloadedBytes: SIZE }]);
      expect(b.stats.rejectedSegments).toBe(1);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('says which trackers connect, fail or refuse, and why', async () => {
    const warnings: EngineWarning[] = [];
    const refusing = `ws://127.0.0.1:${closed.port}/announce`;
    const unreachable = 'ws://127.0.0.1:9/announce';
    const e = engine('details-trackers', { trackers: [tracker, refusing, unreachable, 'http://127.0.0.1/announce'], warnings });
    try {
      const status = () => e.details().swarms[0]?.trackers ?? [];
      await until(() => {
        const byUrl = new Map(status().map((t) => [t.url, t.status]));
        return byUrl.get(tracker) === 'connected' && byUrl.get(refusing) === 'failed' && byUrl.get(unreachable) === 'failed';
      });
      expect(status()).toEqual(
        expect.arrayContaining([
          { url: 'http://127.0.0.1/announce', status: 'failed', error: 'not a ws:// or wss:// URL' },
          { url: tracker, status: 'connected' },
          { url: refusing, status: 'failed', error: expect.stringMatching(/^refused: /) },
          { url: unreachable, status: 'failed', error: 'cannot connect' },
        ]),
      );
      expect(new Set(warnings.map((w) => w.code))).toEqual(new Set(['ERR_TRACKER_URL', 'ERR_TRACKER_REFUSED', 'ERR_TRACKER_UNREACHABLE']));
    } finally {
      e.destroy();
    }
  });

  it('is empty of swarms and peers before the swarm settings and after leaving', async () => {
    const bare = new P2PEngine({ transport: new MemoryTransport() }, { baseUrl: BASE, uploads: true, playhead: () => 0 });
    expect(bare.details()).toEqual({ swarmId: undefined, peerId: hex(bare), swarms: [], peers: [] });
    bare.destroy();

    const a = engine('details-leave');
    const b = engine('details-leave');
    try {
      await until(() => b.stats.peers === 1);
      b.leave();
      expect(b.details()).toMatchObject({ swarmId: 'details-leave', swarms: [], peers: [] });
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});
