import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { P2PEngine, type EngineWarning, type SegmentInfo } from '../../../../player/src/engine/engine.ts';
import { parseHashManifest, type HashManifest } from '../../../../player/src/engine/hash-manifest.ts';
import type { SegmentVerifier } from '../../../../player/src/engine/integrity.ts';
import { ManifestVerifier } from '../../../../player/src/engine/manifest-verifier.ts';
import { MemoryTransport } from '../../../../player/src/engine/memory-transport.ts';
import type { WebSocketLike } from '../../../../player/src/engine/tracker-client.ts';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';

// Live streams: engines in one process, met through a real p2p-seed tracker on 127.0.0.1, peers in memory.
let server: RunningServer;
let root: string;
let tracker: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-live-'));
  server = await startServer({ root, port: 0, openTracker: true, seed: false });
  tracker = `ws://127.0.0.1:${server.port}/announce`;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const BASE = 'http://origin.test/live/master.m3u8';
const LEVEL = 'http://origin.test/live/360p/index.m3u8';
const SIZE = 30_000;

interface Viewer {
  engine: P2PEngine;
  warnings: EngineWarning[];
  /** Seconds on the stream's timeline; the test moves it. */
  playhead: { at: number };
}

function viewer(swarmId: string, verifier?: SegmentVerifier): Viewer {
  const playhead = { at: 0 };
  const warnings: EngineWarning[] = [];
  const engine = new P2PEngine(
    { transport: new MemoryTransport(), createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike },
    { baseUrl: BASE, uploads: true, playhead: () => playhead.at },
  );
  engine.on('warning', (w) => warnings.push(w));
  engine.configure({ swarmId, trackers: [tracker], verifier });
  engine.join(LEVEL);
  return { engine, warnings, playhead };
}

const info = (sn: number): SegmentInfo => ({
  levelUrl: LEVEL,
  sn,
  url: `http://origin.test/live/360p/seg-${sn}.m4s`,
  start: sn * 4,
  duration: 4,
  expectedBytes: SIZE,
});

function bytesOf(sn: number): Uint8Array {
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 1) bytes[i] = (i * 7 + sn) & 0xff;
  return bytes;
}

/** The live hash manifest as the site publishes it now: segments from..to. */
function published(from: number, to: number): HashManifest {
  const segments: Record<string, string> = {};
  for (let sn = from; sn <= to; sn += 1) segments[`360p/seg-${sn}.m4s`] = createHash('sha256').update(bytesOf(sn)).digest('hex');
  return parseHashManifest({ version: 1, algorithm: 'sha-256', segments }, 'http://origin.test/live/hashes.json');
}

/** A site whose live manifest lists what `window` says when it is fetched; counts fetches. */
function liveSite(from: number, to: number) {
  const site = { from, to, fetches: [] as boolean[], clock: 0 };
  const verifier = new ManifestVerifier({
    load: async (fresh) => {
      site.fetches.push(fresh);
      return published(site.from, site.to);
    },
    now: () => site.clock,
  });
  return { site, verifier };
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function fromPeer(e: P2PEngine, sn: number): Promise<Uint8Array | string> {
  const plan = await e.plan(info(sn));
  if (plan.kind !== 'peer') return plan.kind === 'http' ? plan.reason : plan.kind;
  const outcome = await plan.outcome;
  return outcome.status === 'ok' ? outcome.bytes : outcome.reason;
}

function destroy(...viewers: Viewer[]): void {
  for (const v of viewers) v.engine.destroy();
}

describe('P2PEngine on a live stream', () => {
  it('waits for the next manifest refresh for a segment whose hash is not published yet, then asks a peer', async () => {
    const a = viewer('live-wait');
    const { site, verifier } = liveSite(0, 1);
    const b = viewer('live-wait', verifier);
    try {
      for (const sn of [0, 1, 2]) a.engine.httpLoaded(info(sn), bytesOf(sn));
      await verifier.ready;
      await until(() => b.engine.stats.peers === 1);
      // sn 2 is in the playlist; the site publishes its hash a moment later.
      site.clock = 5000;
      site.to = 2;
      expect(await fromPeer(b.engine, 2)).toEqual(bytesOf(2));
      expect(site.fetches).toEqual([false, true]);
      expect(b.warnings).toEqual([]);
    } finally {
      destroy(a, b);
    }
  });

  it('fetches over HTTP after a bounded wait when the hash never comes', async () => {
    const a = viewer('live-never');
    const { site, verifier } = liveSite(0, 1);
    const b = viewer('live-never', verifier);
    try {
      a.engine.httpLoaded(info(3), bytesOf(3));
      await verifier.ready;
      await until(() => b.engine.stats.peers === 1);
      site.clock = 5000;
      const started = Date.now();
      // 12 s of slack: a wait of at most 1.5 s, with one more refresh halfway through it.
      expect(await b.engine.plan(info(3))).toEqual({ kind: 'http', reason: 'no published hash' });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThan(2000);
      expect(site.fetches.length).toBeLessThanOrEqual(3);
      // Needed now: no wait at all.
      b.playhead.at = 12;
      const now = Date.now();
      expect(await b.engine.plan(info(3))).toEqual({ kind: 'http', reason: 'no published hash' });
      expect(Date.now() - now).toBeLessThan(300);
    } finally {
      destroy(a, b);
    }
  });

  it('keeps an HTTP copy whose hash comes later, then stores and offers it; a copy that does not match is never offered', async () => {
    const { site, verifier } = liveSite(0, 1);
    const a = viewer('live-later', verifier);
    const b = viewer('live-later');
    try {
      await verifier.ready;
      a.engine.httpLoaded(info(5), bytesOf(5));
      const corrupt = bytesOf(6);
      corrupt[100] ^= 1;
      a.engine.httpLoaded(info(6), corrupt);
      await until(() => b.engine.stats.peers === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(await fromPeer(b.engine, 5)).toBe('no peer holds it');

      site.clock = 2000;
      site.to = 6;
      await verifier.refresh();
      // Verified once the hash came: now in the store, and announced.
      await until(() => a.warnings.length > 0);
      expect((await a.engine.plan(info(5))).kind).toBe('store');
      await new Promise((r) => setTimeout(r, 100));
      expect(await fromPeer(b.engine, 5)).toEqual(bytesOf(5));
      expect(await fromPeer(b.engine, 6)).toBe('no peer holds it');
      expect(a.warnings.map((w) => w.code)).toEqual(['ERR_HTTP_INTEGRITY']);
    } finally {
      destroy(a, b);
    }
  });

  it('evicts segments that slid out of the playlist or fell far behind the playhead, and peers hear they are gone', async () => {
    const a = viewer('live-window');
    const b = viewer('live-window');
    try {
      for (let sn = 0; sn < 10; sn += 1) a.engine.httpLoaded(info(sn), bytesOf(sn));
      await until(() => b.engine.stats.peers === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect((await a.engine.plan(info(2))).kind).toBe('store');

      // The playlist now starts at sn 8: a margin of three before it stays.
      a.engine.setLiveWindow(LEVEL, 8);
      expect(await a.engine.plan(info(2))).toEqual({ kind: 'http', reason: 'no peer holds it' });
      expect((await a.engine.plan(info(5))).kind).toBe('store');
      await new Promise((r) => setTimeout(r, 100));
      expect(await fromPeer(b.engine, 4)).toBe('no peer holds it');
      expect(await fromPeer(b.engine, 5)).toEqual(bytesOf(5));

      // A segment that slid out while it loaded is not kept.
      a.engine.httpLoaded(info(1), bytesOf(1));
      await new Promise((r) => setTimeout(r, 50));
      expect(await a.engine.plan(info(1))).toEqual({ kind: 'http', reason: 'no peer holds it' });

      // A minute behind the playhead: sn 6 ends at 28 s, sn 7 at 32 s.
      a.playhead.at = 90;
      a.engine.setLiveWindow(LEVEL, 8);
      expect(await a.engine.plan(info(6))).toMatchObject({ kind: 'http' });
      expect((await a.engine.plan(info(7))).kind).toBe('store');

      // The encoder restarted its numbering: what is held belongs to the old stream.
      a.engine.setLiveWindow(LEVEL, 0);
      expect((await a.engine.plan(info(9))).kind).toBe('http');
      expect(a.warnings).toEqual([]);
      expect(b.warnings).toEqual([]);
    } finally {
      destroy(a, b);
    }
  });

  it('keeps a segment numbered past the wire\'s u32 (or below 0) on HTTP, and its peer sessions alive', async () => {
    const a = viewer('live-u32');
    const b = viewer('live-u32');
    try {
      await until(() => a.engine.stats.peers === 1 && b.engine.stats.peers === 1);
      for (const sn of [2 ** 32, -1, 1.5]) {
        a.engine.httpLoaded(info(sn), bytesOf(0));
        expect(await a.engine.plan(info(sn))).toEqual({ kind: 'http', reason: 'sequence number does not fit the wire' });
        expect(await b.engine.plan(info(sn))).toEqual({ kind: 'http', reason: 'sequence number does not fit the wire' });
      }
      const next = [{ sn: 2 ** 32 + 1, url: 'http://origin.test/live/360p/seg-x.m4s', start: 8, duration: 4 }];
      b.engine.httpLoaded({ ...info(0xffff_ffff), next }, bytesOf(3));
      a.engine.httpLoaded(info(1), bytesOf(1));
      await new Promise((r) => setTimeout(r, 200));
      expect(a.engine.stats.peers).toBe(1);
      expect(await fromPeer(b.engine, 1)).toEqual(bytesOf(1));
      expect(await fromPeer(a.engine, 0xffff_ffff)).toEqual(bytesOf(3));
      expect([...a.warnings, ...b.warnings]).toEqual([]);
    } finally {
      destroy(a, b);
    }
  });
});
