import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import { test } from './fixtures.ts';
import { startMirror } from '../../server-seed/src/seeder/mirror-seeder.ts';
import { count, details, stalls, stats, viewer, withServer, type Viewer } from './viewers.ts';

/** What a live event is here: ffmpeg's test pattern in real time, 2 s segments, six in the playlist, old ones deleted. */
function startEncoder(dir: string): ChildProcess {
  const encoder = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-sc_threshold', '0', '-b:v', '400k'],
      ...['-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'hls', '-hls_time', '2', '-hls_list_size', '6', '-hls_flags', 'delete_segments', join(dir, 'index.m3u8')],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  encoder.on('error', (error) => {
    throw new Error(`ffmpeg could not be started (apt-get install ffmpeg): ${error.message}`);
  });
  return encoder;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds of the stream this viewer has played since it first played. */
const played = (v: Viewer): Promise<number> =>
  v.page.evaluate(() => {
    const w = window as unknown as { __firstAt?: number };
    const media = document.querySelector('p2p-video')!.media!;
    return w.__firstAt === undefined ? 0 : media.currentTime - w.__firstAt;
  });

/** Notes where the stream was when this viewer first played (live streams do not start at 0). */
const noteStart = (v: Viewer): Promise<void> =>
  v.page
    .waitForFunction(
      () => {
        const w = window as unknown as { __events: { type: string }[]; __firstAt?: number };
        if (!w.__events.some((e) => e.type === 'playing')) return false;
        w.__firstAt ??= document.querySelector('p2p-video')!.media!.currentTime;
        return true;
      },
      null,
      { timeout: 30_000 },
    )
    .then(() => undefined);

test('a live stream: viewers joining at different times each play 40 s with no stall, later ones mostly from peers; DVR and the live-edge button work', async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = await mkdtemp(join(tmpdir(), 'p2p-live-'));
  const encoder = startEncoder(dir);
  const viewers: Viewer[] = [];
  try {
    await withServer({ live: [{ dir, name: 'cam' }] }, async (origin, server) => {
      const stream = server.live.get('cam')!;
      // Three segments written: a window to join.
      await expect.poll(() => stream.window().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      const src = `${origin}/live/cam/master.m3u8`;
      for (const delay of [0, 8_000, 8_000]) {
        await sleep(delay);
        const v = await viewer(browser, origin, { src, muted: true, autoplay: true, controls: true }, { ownSwarm: false });
        viewers.push(v);
        await noteStart(v);
      }
      await Promise.all(viewers.map((v) => expect.poll(() => played(v), { timeout: 90_000, intervals: [1000] }).toBeGreaterThanOrEqual(40)));

      const figures = await Promise.all(viewers.map((v) => stats(v)));
      await test.info().attach('viewers', { body: JSON.stringify(figures, null, 1), contentType: 'application/json' });
      for (const v of viewers) expect((await stalls(v)).stalls).toEqual([]);
      // Later viewers: most segments from peers (the seeder has each as soon as it is written, the first viewer too).
      for (const later of figures.slice(1)) expect(later.segmentsFromPeers).toBeGreaterThan(later.segmentsFromHttp);
      for (const v of viewers) expect(await count(v, 'error')).toBe(0);
      // The site's download counts know the stream: one view per viewer, from their beacons.
      const views = async (): Promise<number> => {
        const body = (await (await fetch(`${origin}/stats`)).json()) as { counts: { titles: { title: string; views: number }[] } | null };
        return body.counts?.titles.find((t) => t.title === 'live/cam')?.views ?? 0;
      };
      await expect.poll(views, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);

      // video.js shows a live stream: a DVR window to seek back in, and the live-edge button brings the viewer back.
      const first = viewers[0];
      const dvr = await first.page.evaluate(() => {
        type Tracker = { isLive(): boolean; seekableStart(): number; seekableEnd(): number; liveCurrentTime(): number };
        const tracker = (document.querySelector('p2p-video')!.player as unknown as { liveTracker: Tracker }).liveTracker;
        return { live: tracker.isLive(), window: tracker.seekableEnd() - tracker.seekableStart() };
      });
      expect(dvr.live).toBe(true);
      expect(dvr.window).toBeGreaterThanOrEqual(6);
      const behindEdge = (): Promise<number> =>
        first.page.evaluate(() => {
          const media = document.querySelector('p2p-video')!.media!;
          return media.seekable.end(media.seekable.length - 1) - media.currentTime;
        });
      // Back 8 s in the window (what the viewer just saw, still buffered), as a drag of the seek bar would.
      const usual = await behindEdge();
      await first.page.evaluate(() => {
        const media = document.querySelector('p2p-video')!.media!;
        media.currentTime = Math.max(media.seekable.start(0), media.currentTime - 8);
      });
      await expect.poll(behindEdge, { timeout: 10_000 }).toBeGreaterThan(usual + 5);
      // It stays there, playing: no jump back to the edge.
      await sleep(3_000);
      expect(await behindEdge()).toBeGreaterThan(usual + 5);
      // The control bar's live-edge button (a click on the button itself: the headless page has no pointer activity
      // to keep video.js' control bar shown).
      await first.page.locator('.vjs-seek-to-live-control').dispatchEvent('click');
      await expect.poll(behindEdge, { timeout: 10_000 }).toBeLessThan(usual + 2);

      // The sliding manifest names exactly the bytes on disk (of the segments the encoder has not deleted yet).
      const manifest = (await (await fetch(`${origin}/live/cam/hashes.json`)).json()) as { segments: Record<string, string> };
      let checked = 0;
      for (const [uri, digest] of Object.entries(manifest.segments)) {
        const bytes = await readFile(join(dir, uri)).catch(() => undefined);
        if (!bytes) continue;
        expect(createHash('sha256').update(bytes).digest('hex'), uri).toBe(digest);
        checked += 1;
      }
      expect(checked).toBeGreaterThanOrEqual(3);

      for (const v of viewers) expect(v.errors).toEqual([]);
    });
  } finally {
    encoder.kill('SIGKILL');
    await Promise.all(viewers.map((v) => v.close()));
    await rm(dir, { recursive: true, force: true });
  }
});

test('a live encoder that stops without ending the stream: the viewer is told once, and nothing fails', async ({ browser }) => {
  test.setTimeout(150_000);
  const dir = await mkdtemp(join(tmpdir(), 'p2p-live-'));
  const encoder = startEncoder(dir);
  let v: Viewer | undefined;
  try {
    await withServer({ live: [{ dir, name: 'cam' }] }, async (origin, server) => {
      const stream = server.live.get('cam')!;
      await expect.poll(() => stream.window().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      v = await viewer(browser, origin, { src: `${origin}/live/cam/master.m3u8`, muted: true, autoplay: true }, { ownSwarm: false });
      const watched = v;
      await noteStart(watched);
      await expect.poll(() => played(watched), { timeout: 60_000, intervals: [1000] }).toBeGreaterThanOrEqual(8);
      // SIGKILL: no EXT-X-ENDLIST, the playlist simply stops advancing.
      encoder.kill('SIGKILL');
      const stalled = async (): Promise<number> =>
        (await details<{ code: string }>(watched, 'p2perror')).filter((w) => w.code === 'ERR_LIVE_STALLED').length;
      try {
        await expect.poll(stalled, { timeout: 60_000, intervals: [1000] }).toBe(1);
      } finally {
        const state = await watched.page.evaluate(() => {
          const media = document.querySelector('p2p-video')!.media!;
          const ranges: [number, number][] = [];
          for (let i = 0; i < media.buffered.length; i += 1) ranges.push([media.buffered.start(i), media.buffered.end(i)]);
          const events = (window as unknown as { __events: { type: string; time: number; detail?: unknown }[] }).__events
            .filter((e) => e.type !== 'p2pstats')
            .slice(-20)
            .map((e) => `${Math.round(e.time)} ${e.type} ${e.detail === undefined ? '' : JSON.stringify(e.detail)}`);
          return { paused: media.paused, currentTime: media.currentTime, readyState: media.readyState, buffered: ranges, events };
        });
        await test.info().attach('viewer after the encoder stopped', { body: JSON.stringify(state, null, 1), contentType: 'application/json' });
      }
      // Still once a few seconds later: no storm of errors or retries.
      await sleep(5_000);
      const warnings = await details<{ code: string; fatal: boolean }>(watched, 'p2perror');
      expect(warnings.filter((w) => w.code === 'ERR_LIVE_STALLED')).toHaveLength(1);
      expect(warnings.filter((w) => w.fatal)).toEqual([]);
      expect(warnings.length).toBeLessThanOrEqual(3);
      expect(await count(watched, 'error')).toBe(0);
      expect(watched.errors).toEqual([]);
    });
  } finally {
    encoder.kill('SIGKILL');
    await v?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a live stream mirrored by a volunteer (p2p-seed --live --mirror URL): a viewer of an origin that seeds nothing gets it from the mirror', async ({ browser }) => {
  test.setTimeout(150_000);
  const dir = await mkdtemp(join(tmpdir(), 'p2p-live-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'p2p-mirror-'));
  const encoder = startEncoder(dir);
  let v: Viewer | undefined;
  try {
    // The origin serves the stream and runs the tracker, but seeds nothing itself.
    await withServer({ seed: false, live: [{ dir, name: 'cam' }] }, async (origin, server) => {
      const stream = server.live.get('cam')!;
      await expect.poll(() => stream.window().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      const src = `${origin}/live/cam/master.m3u8`;
      const mirror = await startMirror({ urls: [src], liveOnly: true, cacheDir });
      try {
        v = await viewer(browser, origin, { src, muted: true, autoplay: true }, { ownSwarm: false });
        const watched = v;
        await noteStart(watched);
        await expect.poll(() => played(watched), { timeout: 60_000, intervals: [1000] }).toBeGreaterThanOrEqual(20);
        const figures = await stats(watched);
        await test.info().attach('viewer', { body: JSON.stringify({ viewer: figures, mirror: mirror.stats }, null, 1), contentType: 'application/json' });
        expect((await stalls(watched)).stalls).toEqual([]);
        // The only peer is the mirror, which fetched each new segment from the origin once and checked it.
        expect(figures.segmentsFromPeers).toBeGreaterThan(figures.segmentsFromHttp);
        expect(mirror.stats.uploadBytes).toBeGreaterThan(0);
        expect(mirror.stats.live).toMatchObject({ streams: 1, rejectedSegments: 0 });
        expect(await count(watched, 'error')).toBe(0);
        expect(watched.errors).toEqual([]);
      } finally {
        await mirror.close();
      }
    });
  } finally {
    encoder.kill('SIGKILL');
    await v?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  }
});
