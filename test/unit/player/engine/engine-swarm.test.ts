import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { P2PEngine, type SegmentInfo } from '../../../../player/src/engine/engine.ts';
import { parseHashManifest } from '../../../../player/src/engine/hash-manifest.ts';
import { HashVerifier, PendingVerifier, type SegmentVerifier } from '../../../../player/src/engine/integrity.ts';
import { MemoryTransport } from '../../../../player/src/engine/memory-transport.ts';
import type { WebSocketLike } from '../../../../player/src/engine/tracker-client.ts';
import { startServer, type RunningServer } from '../../../../server-seed/src/server.ts';

// Engines in one process: a real p2p-seed tracker on 127.0.0.1, peers joined through in-memory channels.
let server: RunningServer;
let root: string;
let tracker: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-engine-'));
  server = await startServer({ root, port: 0, openTracker: true });
  tracker = `ws://127.0.0.1:${server.port}/announce`;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const BASE = 'http://origin.test/v/master.m3u8';
const LEVEL = 'http://origin.test/v/360p/index.m3u8';

function engine(opts: { uploads?: boolean; swarmId?: string; playhead?: number; verifier?: SegmentVerifier } = {}): P2PEngine {
  const e = new P2PEngine(
    { transport: new MemoryTransport(), createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike },
    { baseUrl: BASE, uploads: opts.uploads ?? true, playhead: () => opts.playhead ?? 0 },
  );
  e.configure({ swarmId: opts.swarmId ?? 'swarm-test', trackers: [tracker], verifier: opts.verifier });
  e.join(LEVEL);
  return e;
}

const info = (sn: number, size = 50_000): SegmentInfo => ({
  levelUrl: LEVEL,
  sn,
  url: `http://origin.test/v/360p/seg-${sn}.m4s`,
  start: sn * 4,
  duration: 4,
  expectedBytes: size,
});

function segmentBytes(sn: number, size = 50_000): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + sn) & 0xff;
  return bytes;
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('P2PEngine over a real tracker', () => {
  it('a second engine gets segments from the first, byte for byte, and both count them', async () => {
    const a = engine();
    const b = engine();
    try {
      for (const sn of [0, 1, 2]) a.httpLoaded(info(sn), segmentBytes(sn));
      await until(() => a.stats.peers === 1 && b.stats.peers === 1);

      for (const sn of [0, 1, 2]) {
        const plan = await b.plan(info(sn));
        expect(plan.kind).toBe('peer');
        if (plan.kind !== 'peer') return;
        const outcome = await plan.outcome;
        expect(outcome.status).toBe('ok');
        if (outcome.status === 'ok') expect(outcome.bytes).toEqual(segmentBytes(sn));
      }
      expect(b.stats).toMatchObject({ p2pBytes: 150_000, segmentsFromPeers: 3, httpBytes: 0 });
      expect(a.stats.uploadBytes).toBe(150_000);
      // Held now: the store answers without asking anyone.
      expect((await b.plan(info(1))).kind).toBe('store');
      // Nobody holds sn 7: HTTP.
      expect(await b.plan(info(7))).toEqual({ kind: 'http', reason: 'no peer holds it' });
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('three engines: the third spreads its requests over both holders', async () => {
    const [a, b, c] = [engine({ swarmId: 'three' }), engine({ swarmId: 'three' }), engine({ swarmId: 'three' })];
    try {
      for (const sn of [0, 1, 2, 3]) {
        a.httpLoaded(info(sn), segmentBytes(sn));
        b.httpLoaded(info(sn), segmentBytes(sn));
      }
      await until(() => c.stats.peers === 2);
      const plans = await Promise.all([0, 1, 2, 3].map((sn) => c.plan(info(sn))));
      const peers = new Set(plans.map((p) => (p.kind === 'peer' ? p.peerId : p.kind)));
      expect(peers.size).toBe(2);
      const outcomes = await Promise.all(plans.map((p) => (p.kind === 'peer' ? p.outcome : undefined)));
      expect(outcomes.every((o) => o?.status === 'ok')).toBe(true);
      expect(c.stats.segmentsFromPeers).toBe(4);
    } finally {
      [a, b, c].forEach((e) => e.destroy());
    }
  });

  it('a download-only engine never uploads, and is never asked', async () => {
    const seeder = engine({ swarmId: 'dl' });
    const leech = engine({ swarmId: 'dl', uploads: false });
    const third = engine({ swarmId: 'dl' });
    try {
      seeder.httpLoaded(info(0), segmentBytes(0));
      await until(() => leech.stats.peers >= 1 && third.stats.peers >= 2);
      const plan = await leech.plan(info(0));
      if (plan.kind === 'peer') await plan.outcome;
      expect(leech.stats.segmentsFromPeers).toBe(1);
      // The third engine sees the leech hold sn 0 but may only ask the seeder.
      for (let i = 0; i < 5; i += 1) {
        const p = await third.plan(info(0));
        expect(p.kind === 'peer' && p.peerId).toBe(toHexId(seeder));
        if (p.kind === 'peer') p.abort();
      }
      expect(leech.stats.uploadBytes).toBe(0);
    } finally {
      [seeder, leech, third].forEach((e) => e.destroy());
    }
  });

  it('prefetches from peers the next segments the player will want, a bounded few at a time', async () => {
    const a = engine({ swarmId: 'prefetch' });
    const b = engine({ swarmId: 'prefetch' });
    try {
      for (const sn of [0, 1, 2, 3, 4]) a.httpLoaded(info(sn), segmentBytes(sn));
      await until(() => b.stats.peers === 1);
      const next = [1, 2, 3].map((sn) => ({ sn, url: info(sn).url, start: sn * 4, duration: 4 }));
      b.httpLoaded({ ...info(0), next }, segmentBytes(0));
      await until(() => b.stats.segmentsFromPeers === 2);
      // Two in flight at most; nothing beyond the segments named.
      await new Promise((r) => setTimeout(r, 300));
      expect(b.stats.segmentsFromPeers).toBe(2);
      const plan = await b.plan(info(1));
      expect(plan.kind).toBe('store');
      if (plan.kind === 'store') expect(plan.bytes).toEqual(segmentBytes(1));
      expect((await b.plan(info(4))).kind).toBe('peer');
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('engines of different swarms never meet', async () => {
    const a = engine({ swarmId: 'one' });
    const b = engine({ swarmId: 'two' });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(a.stats.peers + b.stats.peers).toBe(0);
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});

/** The site's hash manifest for segments 0..n-1 of LEVEL, as the element would load it. */
function siteHashes(n: number): HashVerifier {
  const segments: Record<string, string> = {};
  for (let sn = 0; sn < n; sn += 1) segments[`360p/seg-${sn}.m4s`] = createHash('sha256').update(segmentBytes(sn)).digest('hex');
  return new HashVerifier(parseHashManifest({ version: 1, algorithm: 'sha-256', segments }, 'http://origin.test/v/hashes.json'));
}

function corrupt(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length >> 1] ^= 0x01;
  return out;
}

describe('P2PEngine with the site hash manifest', () => {
  it('drops bytes from a peer that do not match, bans that peer, counts it and says so; HTTP gets the segment', async () => {
    // The liar checks nothing and serves a flipped bit; the honest viewer checks everything.
    const liar = engine({ swarmId: 'liar' });
    const honest = engine({ swarmId: 'liar', verifier: siteHashes(4) });
    const rejected: { url: string; peer: string; reason: string }[] = [];
    honest.on('segmentrejected', (event) => rejected.push(event));
    try {
      liar.httpLoaded(info(0), corrupt(segmentBytes(0)));
      await until(() => honest.stats.peers === 1);
      const plan = await honest.plan(info(0));
      expect(plan.kind).toBe('peer');
      if (plan.kind !== 'peer') return;
      const outcome = await plan.outcome;
      // The loader goes to HTTP with nothing kept from the peer.
      expect(outcome).toMatchObject({ status: 'fallback', reason: 'failed verification (mismatch)' });
      if (outcome.status === 'fallback') expect(outcome.partial.byteLength).toBe(0);
      expect(rejected).toEqual([{ url: info(0).url, peer: toHexId(liar), reason: 'hash mismatch' }]);
      expect(honest.stats).toMatchObject({ rejectedSegments: 1, bannedPeers: 1, p2pBytes: 0, segmentsFromPeers: 0 });
      // Banned for the session: disconnected, and never asked again.
      await until(() => honest.stats.peers === 0 && liar.stats.peers === 0);
      liar.httpLoaded(info(1), segmentBytes(1));
      await new Promise((r) => setTimeout(r, 1500));
      expect(honest.stats.peers).toBe(0);
      expect(await honest.plan(info(1))).toMatchObject({ kind: 'http' });
    } finally {
      liar.destroy();
      honest.destroy();
    }
  });

  it('takes matching bytes from peers, asks no peer for a segment the manifest does not cover, and shares only what it checked', async () => {
    const a = engine({ swarmId: 'checked', verifier: siteHashes(3) });
    const b = engine({ swarmId: 'checked', verifier: siteHashes(3) });
    try {
      a.httpLoaded(info(0), segmentBytes(0));
      // Bytes from the origin that do not match are played (the player asked for them) but never passed on.
      a.httpLoaded(info(1), corrupt(segmentBytes(1)));
      await until(() => b.stats.peers === 1);
      const plan = await b.plan(info(0));
      expect(plan.kind).toBe('peer');
      if (plan.kind === 'peer') expect((await plan.outcome).status).toBe('ok');
      expect(await b.plan(info(1))).toEqual({ kind: 'http', reason: 'no peer holds it' });
      // sn 5 has no published hash: never from a peer, even one that holds it.
      a.httpLoaded(info(5), segmentBytes(5));
      expect(await b.plan(info(5))).toEqual({ kind: 'http', reason: 'no published hash' });
      expect(b.stats).toMatchObject({ segmentsFromPeers: 1, rejectedSegments: 0, bannedPeers: 0 });
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});

describe('P2PEngine tracker warnings', () => {
  it('passes on a warning about an unusable tracker URL, though the swarm starts its tracker client at once', async () => {
    const e = new P2PEngine(
      { transport: new MemoryTransport(), createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike },
      { baseUrl: BASE, uploads: true, playhead: () => 0 },
    );
    const warnings: string[] = [];
    e.on('warning', (w) => warnings.push(w.code));
    try {
      e.configure({ swarmId: 'bad-url', trackers: ['not a tracker', tracker] });
      e.join(LEVEL);
      await until(() => warnings.length > 0, 5000);
      expect(warnings).toContain('ERR_TRACKER_URL');
    } finally {
      e.destroy();
    }
  });
});

describe('P2PEngine joined while the hash manifest loads', () => {
  it('checks bytes a peer sent before the manifest arrived against it once it does', async () => {
    let deliver!: (verifier: HashVerifier) => void;
    const a = engine({ swarmId: 'pending', verifier: siteHashes(2) });
    const b = engine({ swarmId: 'pending', verifier: new PendingVerifier(new Promise<HashVerifier>((r) => (deliver = r))) });
    try {
      a.httpLoaded(info(0), segmentBytes(0));
      await until(() => b.stats.peers === 1);
      const plan = await b.plan(info(0));
      expect(plan.kind).toBe('peer');
      if (plan.kind !== 'peer') return;
      let settled = false;
      const outcome = plan.outcome.finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      deliver(siteHashes(2));
      expect((await outcome).status).toBe('ok');
      expect(b.stats).toMatchObject({ segmentsFromPeers: 1, rejectedSegments: 0 });
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('leaves every swarm when the manifest fails, and takes everything over HTTP from then on', async () => {
    const a = engine({ swarmId: 'unusable' });
    const verifier = new PendingVerifier(Promise.reject(new Error('hashes.json: 404')));
    const b = engine({ swarmId: 'unusable', verifier });
    try {
      a.httpLoaded(info(0), segmentBytes(0));
      await until(() => b.stats.peers === 1 && a.stats.peers === 1);
      expect(await verifier.ready).toBe(false);
      b.leave();
      expect(b.configured).toBe(false);
      await until(() => a.stats.peers === 0);
      expect(await b.plan(info(0))).toEqual({ kind: 'http', reason: 'no swarm' });
      expect(a.stats.uploadBytes).toBe(0);
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});

function toHexId(e: P2PEngine): string {
  return [...e.peerId].map((b) => b.toString(16).padStart(2, '0')).join('');
}
