import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { P2PStats } from '../../player/src/engine/stats.ts';
import { startMirror } from '../../server-seed/src/seeder/mirror-seeder.ts';
import { expect, test } from './fixtures.ts';
import { count, playsTo, stallsAfterPlaying, stats, viewer, withServer, type Viewer } from './viewers.ts';

// Hostile peers (liars, floods, loops) are in hostile.spec.ts.

test.describe('viewers share segments over WebRTC', () => {
  test('a second viewer gets most of its segments from the first', async ({ browser, origin }) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);

    const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await playsTo(b, 8);
    await expect.poll(async () => (await stats(b)).segmentsFromPeers, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    const sb = await stats(b);
    const sa = await stats(a);
    expect(sb.p2pBytes).toBeGreaterThan(sb.httpBytes);
    expect(sa.uploadBytes).toBeGreaterThan(0);
    expect(sb.peers).toBeGreaterThanOrEqual(1);
    expect(await count(a, 'p2ppeerconnect')).toBeGreaterThanOrEqual(1);
    expect(await count(b, 'p2ppeerconnect')).toBeGreaterThanOrEqual(1);
    expect(await stallsAfterPlaying(b)).toBe(0);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test('with p2p="off" every byte comes over HTTP, even with a peer at hand', async ({ browser, origin }) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true, p2p: 'off' });
    await playsTo(b, 4);
    const sb = await stats(b);
    expect(sb.httpBytes).toBeGreaterThan(0);
    expect(sb).toMatchObject({ p2pBytes: 0, segmentsFromPeers: 0, peers: 0, uploadBytes: 0 });
    expect(await count(b, 'p2ppeerconnect')).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  test('a peer that leaves mid-stream costs the other no stall', async ({ browser, origin }) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await b.page.waitForFunction(() => document.querySelector('p2p-video')!.stats.segmentsFromPeers >= 1, null, { timeout: 20_000 });
    await a.close();
    await playsTo(b, 20);
    expect(await stallsAfterPlaying(b)).toBe(0);
    const sb = await stats(b);
    expect(sb.segmentsFromPeers + sb.segmentsFromHttp).toBeGreaterThanOrEqual(6);
    expect(b.errors).toEqual([]);
    await b.close();
  });

  test('a seek lands and plays while peers serve the stream', async ({ browser, origin }) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await playsTo(b, 2);
    await b.page.evaluate(() => {
      document.querySelector('p2p-video')!.media!.currentTime = 20;
    });
    await b.page.waitForFunction(() => (window as unknown as { __events: { type: string }[] }).__events.some((e) => e.type === 'seeked'));
    await playsTo(b, 22);
    expect((await stats(b)).segmentsFromPeers).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  });
});

test.describe('swarms and trackers', () => {
  test('one swarm per rendition: viewers of the same rendition trade, others never meet', async ({ browser, origin }) => {
    const attrs = { src: '/demo/master.m3u8', muted: true, autoplay: true } as const;
    const a = await viewer(browser, origin, attrs, { onlyHeight: 360 });
    const b = await viewer(browser, origin, attrs, { onlyHeight: 240 });
    await expect.poll(async () => (await stats(b)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);

    const c = await viewer(browser, origin, attrs, { onlyHeight: 240 });
    await playsTo(c, 6);
    await expect.poll(async () => (await stats(c)).segmentsFromPeers, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

    const renditions = (v: Viewer) =>
      v.page.evaluate(() =>
        (window as unknown as { __events: { type: string; detail: { rendition: string } }[] }).__events
          .filter((e) => e.type === 'p2ppeerconnect')
          .map((e) => e.detail.rendition),
      );
    // All three share the demo's one audio rendition; video peers only within a height.
    expect(new Set(await renditions(c))).toEqual(new Set(['240p/index.m3u8', 'audio/index.m3u8']));
    expect(await renditions(a)).not.toContain('240p/index.m3u8');
    expect(await renditions(a)).not.toContain('360p/index.m3u8'); // nobody watches 360p with it
    expect((await stats(b)).uploadBytes).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('a tracker that cannot be reached leaves playback on HTTP with a warning, not an error', async ({ browser, origin }) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true, tracker: 'ws://127.0.0.1:9/announce' });
    await playsTo(a, 3);
    const warnings = await a.page.evaluate(() =>
      (window as unknown as { __events: { type: string; detail: { code: string; fatal: boolean } }[] }).__events
        .filter((e) => e.type === 'p2perror')
        .map((e) => e.detail),
    );
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.fatal === false)).toBe(true);
    expect(warnings.map((w) => w.code)).toContain('ERR_TRACKER_UNREACHABLE');
    expect(await count(a, 'error')).toBe(0);
    expect((await stats(a)).httpBytes).toBeGreaterThan(0);
    expect(a.errors).toEqual([]);
    await a.close();
  });
});

test('the origin counts the same segment bytes the players say they fetched over HTTP', async ({ browser }) => {
  // No seeder: only the two viewers trade.
  await withServer({ seed: false }, async (origin, server) => {
    const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(8);
    const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
    await expect.poll(async () => { const s = await stats(b); return s.segmentsFromHttp + s.segmentsFromPeers; }, { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
    // Both still load as they play: the counts are compared at a moment when no transfer is half done (one the
    // origin has sent and a player not yet counted, or the other way round).
    let sa!: P2PStats;
    let sb!: P2PStats;
    const apart = async () => {
      [sa, sb] = [await stats(a), await stats(b)];
      // What the origin saved is what the second viewer got from the first.
      return { origin: server.origin.snapshot.segmentBytes - (sa.httpBytes + sb.httpBytes), peers: sa.uploadBytes - sb.p2pBytes };
    };
    await expect.poll(apart, { timeout: 45_000 }).toEqual({ origin: 0, peers: 0 });
    expect(sb.p2pBytes).toBeGreaterThan(0);
    const listed = await (await fetch(`${origin}/stats`)).json();
    expect(listed.origin.segmentBytes).toBe(server.origin.snapshot.segmentBytes);
    await Promise.all([a.close(), b.close()]);
  });
});

// The seeder joins the swarms named by the titles' swarm.json: these viewers keep the stream's own swarm id.
const seeded = { ownSwarm: false } as const;

test('a lone viewer gets at least 90% of its segment bytes from the server seeder', async ({ browser }) => {
  await withServer({}, async (origin, server) => {
    const v = await viewer(browser, origin, { src: '/seeded/master.m3u8', muted: true, autoplay: true }, seeded);
    await expect.poll(async () => { const s = await stats(v); return s.segmentsFromHttp + s.segmentsFromPeers; }, { timeout: 40_000 }).toBeGreaterThanOrEqual(15);
    const s = await stats(v);
    expect(s.p2pBytes / (s.p2pBytes + s.httpBytes)).toBeGreaterThanOrEqual(0.9);
    expect(server.origin.snapshot.segmentBytes).toBe(s.httpBytes);
    // The seeder counts bytes as it sends them, the viewer as segments complete: at most the few segments in
    // flight apart.
    const listed = await (await fetch(`${origin}/stats`)).json();
    expect(listed.seeder.uploadBytes).toBeGreaterThanOrEqual(s.p2pBytes);
    expect(listed.seeder.uploadBytes).toBeLessThanOrEqual(s.p2pBytes * 1.25);
    await v.close();
  });
});

test('a separate audio rendition is shared too: its segments come from the seeder', async ({ browser }) => {
  await withServer({}, async (origin) => {
    const httpUrls: string[] = [];
    const v = await viewer(browser, origin, { src: '/packaged/master.m3u8', muted: true, autoplay: true }, {
      ...seeded,
      beforeLoad: async (page) => void page.on('request', (r) => httpUrls.push(r.url())),
    });
    // 12 s: three video and three audio segments; the first of each may come over HTTP.
    await expect.poll(async () => { const s = await stats(v); return s.segmentsFromHttp + s.segmentsFromPeers; }, { timeout: 30_000 }).toBeGreaterThanOrEqual(6);
    const s = await stats(v);
    const audioOverHttp = httpUrls.filter((u) => /\/audio\/seg-\d+\.m4s$/.test(u)).length;
    expect(audioOverHttp).toBeLessThan(3);
    expect(s.segmentsFromPeers).toBeGreaterThanOrEqual(3);
    await v.close();
  });
});

test('with the origin answering 503 for every segment, a viewer still plays the whole title from the seeder', async ({ browser }) => {
  await withServer({}, async (origin) => {
    const v = await viewer(browser, origin, { src: '/seeded/master.m3u8', muted: true, autoplay: true }, {
      ...seeded,
      // Playlists and the init segment still come from the origin; no media segment does.
      beforeLoad: async (page) => {
        await page.route('**/seeded/**/*.m4s', (route) => route.fulfill({ status: 503, body: 'overloaded' }));
      },
    });
    await expect.poll(async () => (await stats(v)).segmentsFromPeers, { timeout: 45_000 }).toBeGreaterThanOrEqual(15);
    await playsTo(v, 3);
    expect((await stats(v)).segmentsFromHttp).toBe(0);
    expect(await count(v, 'error')).toBe(0);
    expect(v.errors).toEqual([]);
    await v.close();
  });
});

test("a mirror seeder in front of another origin serves a viewer who cannot reach that origin's segments", async ({ browser }) => {
  // The origin seeds nothing itself; a volunteer's `p2p-seed --mirror URL` (no collection of its own) does.
  await withServer({ seed: false }, async (origin, server) => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'p2p-mirror-'));
    const mirror = await startMirror({ urls: [`${origin}/seeded/master.m3u8`], cacheDir });
    try {
      const v = await viewer(browser, origin, { src: '/seeded/master.m3u8', muted: true, autoplay: true }, {
        ...seeded,
        // This viewer's network cannot reach the origin's media segments at all (playlists and init still load).
        beforeLoad: async (page) => {
          await page.route('**/seeded/**/*.m4s', (route) => route.abort('connectionrefused'));
        },
      });
      await expect.poll(async () => (await stats(v)).segmentsFromPeers, { timeout: 45_000 }).toBeGreaterThanOrEqual(15);
      await playsTo(v, 3);
      const s = await stats(v);
      expect(s.segmentsFromHttp).toBe(0);
      expect(await count(v, 'error')).toBe(0);
      expect(v.errors).toEqual([]);
      // The mirror fetched what it served once from the origin, checked, and kept it on disk. The origin sent
      // nothing else but the viewer's init segment.
      const m = mirror.stats;
      expect(m.uploadBytes).toBeGreaterThanOrEqual(s.p2pBytes);
      const renditions = await readdir(path.join(process.env.P2P_TEST_ROOT!, 'seeded'), { withFileTypes: true });
      const inits = await Promise.all(
        renditions.filter((d) => d.isDirectory()).map((d) => stat(path.join(d.parentPath, d.name, 'init.mp4')).then((i) => i.size, () => 0)),
      );
      expect(server.origin.snapshot.segmentBytes).toBe(m.cache.fetchedBytes + Math.max(...inits));
      expect(m.cache.fetchedBytes).toBeLessThanOrEqual(m.uploadBytes);
      expect(m.cache.rejectedSegments).toBe(0);
      await v.close();
    } finally {
      await mirror.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
