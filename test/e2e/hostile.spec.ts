import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import type { P2PStats } from '../../player/src/engine/stats.ts';
import { expect, test } from './fixtures.ts';
import { MALFORMED, startHostilePeer, type Behaviour, type HostilePeer } from './hostile-peer.ts';
import { count, details, stallsAfterPlaying, stats, viewer, withServer, type Viewer } from './viewers.ts';

// One hostile peer against one honest viewer. Each test runs a p2p-seed of its own with no seeder: the hostile
// peer (hostile-peer.ts) joins the swarms of the 12 s packaged title (a video and an audio rendition, three
// segments each) and the viewer, in the title's own swarms, plays it to the end. Whatever the peer does, the
// viewer must not stall, fail or play a byte the site did not publish.

test.describe.configure({ mode: 'parallel' });

const TITLE = '/packaged/master.m3u8';

interface Played {
  v: Viewer;
  peer: HostilePeer;
  /** The viewer's stats at the end. */
  s: P2PStats;
  /** Why the viewer closed its sessions (all of them with the hostile peer: it is the only one). */
  closes: { rendition: string; reason: string }[];
}

async function playAgainst(browser: Browser, behaviour: Behaviour, check: (played: Played) => Promise<void>): Promise<void> {
  await withServer({ seed: false }, async (origin, server) => {
    const peer = await startHostilePeer({
      root: process.env.P2P_TEST_ROOT!,
      src: TITLE,
      trackerUrl: `ws://127.0.0.1:${server.port}/announce`,
      behaviour,
    });
    try {
      const v = await viewer(browser, origin, { src: TITLE, muted: true, autoplay: true }, { ownSwarm: false });
      const consoleLines: string[] = [];
      v.page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
      try {
        await v.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.ended, undefined, { timeout: 45_000 });
        const s = await stats(v);
        const closes = await details<{ rendition: string; reason: string }>(v, 'p2ppeerclose');
        test.info().annotations.push({ type: 'hostile', description: JSON.stringify({ peer: peer.stats, viewer: s, closes }) });
        // Every segment of both renditions reached the player once, whole: the bytes it was given add up to the
        // title's, and none failed the site's hash (a wrong byte handed over as the origin's would).
        expect(s.segmentsFromHttp + s.segmentsFromPeers).toBe(6);
        expect(s.httpBytes + s.p2pBytes).toBe(await titleBytes());
        const warnings = await details<{ code: string }>(v, 'p2perror');
        expect(warnings.filter((w) => w.code === 'ERR_HTTP_INTEGRITY')).toEqual([]);
        expect(await stallsAfterPlaying(v), 'stalls after playing').toBe(0);
        expect(await count(v, 'error'), "'error' events").toBe(0);
        expect(v.errors).toEqual([]);
        await check({ v, peer, s, closes });
      } catch (error) {
        // Where playback was, and what led there.
        const media = await v.page.evaluate(() => {
          const m = document.querySelector('p2p-video')!.media!;
          const buffered = Array.from({ length: m.buffered.length }, (_, i) => [m.buffered.start(i), m.buffered.end(i)]);
          const events = (window as unknown as { __events: { type: string; detail?: unknown; time: number }[] }).__events.filter((e) => e.type !== 'p2pstats');
          return { currentTime: m.currentTime, readyState: m.readyState, paused: m.paused, buffered, error: m.error?.message, events };
        });
        const body = JSON.stringify({ media, peer: peer.stats, viewer: await stats(v), console: consoleLines }, null, 1);
        await test.info().attach('viewer', { body, contentType: 'application/json' });
        throw error;
      } finally {
        await v.close();
      }
    } finally {
      peer.close();
    }
  });
}

const RENDITIONS = ['180p', 'audio'];

/** Sizes of the title's files in one rendition: its init segment and its media segments. */
async function sizes(rendition: string): Promise<{ init: number; segments: number[] }> {
  const dir = path.join(process.env.P2P_TEST_ROOT!, 'packaged', rendition);
  const size = (name: string): Promise<number> => stat(path.join(dir, name)).then((s) => s.size);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.m4s'));
  return { init: await size('init.mp4'), segments: await Promise.all(names.map(size)) };
}

/** Every byte a player of the title loads: both init segments and every media segment. */
async function titleBytes(): Promise<number> {
  let sum = 0;
  for (const { init, segments } of await Promise.all(RENDITIONS.map(sizes))) sum += init + segments.reduce((a, b) => a + b, 0);
  return sum;
}

/** The largest segment of each rendition, summed: one copy of the biggest of each. */
async function largestSegments(): Promise<number> {
  let sum = 0;
  for (const { segments } of await Promise.all(RENDITIONS.map(sizes))) sum += Math.max(...segments);
  return sum;
}

const LIES = { 'wrong-bytes': 'wrong bytes', 'other-segment': 'another segment (a valid hash, the wrong one)' } as const;

for (const behaviour of ['wrong-bytes', 'other-segment'] as const) {
  test(`a peer that sends ${LIES[behaviour]} is caught, banned, and playback goes on to the end`, async ({ browser }) => {
    await playAgainst(browser, behaviour, async ({ v, peer, s }) => {
      expect(peer.stats.uploadBytes).toBeGreaterThan(0);
      // Every lie was caught before the player saw it: no segment from the liar was played, and it is banned. (A
      // prefix of a segment it sent before its flipped byte may count in p2pBytes: checked whole with the rest
      // from HTTP, it was the site's bytes.)
      expect(s.segmentsFromPeers).toBe(0);
      expect(s.rejectedSegments).toBeGreaterThanOrEqual(1);
      expect(s.bannedPeers).toBe(1);
      expect(await count(v, 'p2psegmentrejected')).toBe(s.rejectedSegments);
    });
  });
}

test('a peer that sends a longer segment slowly, so the viewer asks the origin for the rest by the wrong length, costs no stall', async ({ browser }) => {
  await playAgainst(browser, 'longer-segment', async ({ peer, s }) => {
    expect(peer.stats.uploadBytes).toBeGreaterThan(0);
    // Nothing it sent reached the player: neither its part of a segment nor the origin's rest taken for a whole one.
    expect(s.segmentsFromPeers).toBe(0);
    expect(s.bannedPeers).toBeLessThanOrEqual(1);
  });
});

const UNHELPFUL = { absent: 'answers every request absent', silent: 'never answers a request' } as const;

for (const behaviour of ['absent', 'silent'] as const) {
  test(`a peer that claims every segment and ${UNHELPFUL[behaviour]} costs the viewer no stall`, async ({ browser }) => {
    await playAgainst(browser, behaviour, async ({ peer, s }) => {
      expect(peer.stats.requestsReceived, 'requests the viewer sent it').toBeGreaterThan(0);
      // Everything came over HTTP in time.
      expect(s).toMatchObject({ segmentsFromPeers: 0, p2pBytes: 0, rejectedSegments: 0 });
    });
  });
}

test('a peer that trickles one chunk a second is finished over HTTP in time', async ({ browser }) => {
  await playAgainst(browser, 'trickle', async ({ peer, s }) => {
    expect(peer.stats.uploadBytes).toBeGreaterThan(0);
    // Its bytes are the site's (slow, not wrong): what it sent in time was kept and checked with the rest.
    expect(s.rejectedSegments).toBe(0);
    expect(s.bannedPeers).toBe(0);
  });
});

test('a peer that answers with an oversized message is dropped', async ({ browser }) => {
  await playAgainst(browser, 'oversized', async ({ peer, s, closes }) => {
    expect(peer.stats.hostileMessages).toBeGreaterThan(0);
    expect(closes.length).toBeGreaterThan(0);
    expect(closes.map((c) => c.reason)).toEqual(closes.map(() => 'malformed message (ERR_PROTOCOL_LENGTH)'));
    expect(s).toMatchObject({ segmentsFromPeers: 0, p2pBytes: 0, rejectedSegments: 0 });
  });
});

test('a peer that answers with malformed messages is dropped at each one', async ({ browser }) => {
  await playAgainst(browser, 'malformed', async ({ peer, s, closes }) => {
    const sent = peer.stats.malformedSent;
    expect(sent.length).toBeGreaterThan(0);
    // Each connection sent one malformed frame, and the viewer closed each for exactly that.
    expect(closes.map((c) => c.reason).sort()).toEqual(sent.map((code) => `malformed message (${code})`).sort());
    expect(MALFORMED.map((m) => m.code)).toEqual(expect.arrayContaining(sent));
    expect(s).toMatchObject({ segmentsFromPeers: 0, p2pBytes: 0, rejectedSegments: 0 });
  });
});

test('a peer that announces two million segments is dropped before it is believed', async ({ browser }) => {
  await playAgainst(browser, 'many-haves', async ({ peer, s, closes }) => {
    // 100,000 claims (98 have messages of 1,024) are the most a peer may make: each connection was cut off there,
    // and each time it came back.
    expect(peer.stats.hostileMessages).toBeGreaterThanOrEqual(98);
    expect(closes.length).toBeGreaterThan(0);
    expect(closes.map((c) => c.reason)).toEqual(closes.map(() => 'announced too many segments'));
    expect(s).toMatchObject({ segmentsFromPeers: 0, p2pBytes: 0, rejectedSegments: 0 });
  });
});

test('a peer that opens connections under many ids gets no more than 20 in a swarm, and playback goes on', async ({ browser }) => {
  await playAgainst(browser, 'many-connections', async ({ peer, s }) => {
    expect(peer.stats.attempts, 'connections tried').toBeGreaterThan(40);
    // The viewer's pool is full (20 in one swarm) and stays at its cap.
    expect(peer.stats.maxOpen).toBe(20);
    expect(s.peers).toBeLessThanOrEqual(40);
  });
});

test('a peer that asks for the same segment over and over is served a few copies and dropped', async ({ browser }) => {
  const largest = await largestSegments();
  await playAgainst(browser, 'request-loop', async ({ peer, s, closes }) => {
    expect(peer.stats.requestsSent, 'requests it sent').toBeGreaterThan(8);
    // A few copies of one segment per rendition, not one per request.
    expect(s.uploadBytes).toBeGreaterThan(0);
    expect(s.uploadBytes).toBeLessThanOrEqual(4 * largest);
    expect(peer.stats.downloadBytes).toBeLessThanOrEqual(s.uploadBytes);
    expect(closes.length).toBeGreaterThan(0);
    expect(closes.every((c) => /the same segment over and over/.test(c.reason))).toBe(true);
  });
});
