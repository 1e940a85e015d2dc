import type { Browser, Page } from '@playwright/test';
import { startServer, type RunningServer, type ServerOptions } from '../../server-seed/src/server.ts';
import { test, WATCHED } from './fixtures.ts';

/** One real Chromium viewer: a browser context of its own with one <p2p-video> recording its events. */
export interface Viewer {
  page: Page;
  /** Uncaught exceptions in the page. */
  errors: string[];
  close(): Promise<void>;
}

export interface ViewerOptions {
  /** Keep one rendition: the others are disabled as video.js learns of them. */
  onlyHeight?: number;
  /** False: keep the stream's own swarm id (the one a seeder joins). Default: a swarm of this test's own. */
  ownSwarm?: boolean;
  /** Runs before the page loads (routes, request listeners). */
  beforeLoad?: (page: Page) => Promise<void>;
  /**
   * Seconds hls.js buffers ahead. By default it buffers these small test titles whole within a second or two, so
   * a fault mid-playback would find nothing left to fetch; a short buffer keeps the viewer fetching as it plays,
   * the way it does on a long title.
   */
  bufferSeconds?: number;
}

export async function viewer(browser: Browser, origin: string, attributes: Record<string, string | true>, options: ViewerOptions = {}): Promise<Viewer> {
  // Tests run in parallel on the same titles: each test's viewers get a swarm of their own unless told otherwise.
  if (options.ownSwarm !== false) attributes = { 'swarm-id': `test:${test.info().testId}`, ...attributes };
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await options.beforeLoad?.(page);
  await page.goto(`${origin}/harness.html`);
  const loadedBeforeLimit = await page.evaluate(
    async ({ attributes, watched, onlyHeight, bufferSeconds }) => {
      const el = document.createElement('p2p-video');
      const log: { type: string; detail?: unknown; time: number }[] = [];
      (window as unknown as { __events: typeof log }).__events = log;
      // Where the playhead was and what was buffered when playback waited: a wait with data ahead is not a stall.
      const waits: { time: number; at: number; ranges: [number, number][] }[] = [];
      (window as unknown as { __waits: typeof waits }).__waits = waits;
      el.addEventListener('waiting', () => {
        const media = el.media;
        if (!media) return;
        const ranges: [number, number][] = [];
        for (let i = 0; i < media.buffered.length; i += 1) ranges.push([media.buffered.start(i), media.buffered.end(i)]);
        waits.push({ time: performance.now(), at: media.currentTime, ranges });
      });
      for (const type of [...watched, 'p2ppeerconnect', 'p2ppeerclose', 'p2psegmentrejected']) {
        el.addEventListener(type, (e) => {
          const detail = (e as CustomEvent).detail;
          log.push({ type, detail: detail === undefined ? undefined : JSON.parse(JSON.stringify(detail)), time: performance.now() });
        });
      }
      const { src, ...rest } = attributes;
      for (const [name, value] of Object.entries(rest)) el.setAttribute(name, value === true ? '' : value);
      document.body.append(el);
      if (onlyHeight !== undefined) {
        type Levels = { on(t: string, f: (e: { qualityLevel: { height: number; enabled: boolean } }) => void): void };
        (el.player as unknown as { qualityLevels(): Levels }).qualityLevels().on('addqualitylevel', (e) => {
          if (e.qualityLevel.height !== onlyHeight) e.qualityLevel.enabled = false;
        });
      }
      if (src !== undefined) el.setAttribute('src', String(src));
      if (bufferSeconds === undefined) return 0;
      // The element keeps its hls.js instance internal; a test reaches it to shorten the forward buffer before
      // the first segment is asked for (hls.js reads its config object on every tick).
      type Internals = { playerController?: { session?: { hls?: { config: { maxBufferLength: number; maxMaxBufferLength: number } } } } };
      const started = performance.now();
      for (;;) {
        const hls = (el as unknown as Internals).playerController?.session?.hls;
        if (hls) {
          hls.config.maxBufferLength = bufferSeconds;
          hls.config.maxMaxBufferLength = bufferSeconds;
          return el.stats.segmentsFromHttp + el.stats.segmentsFromPeers;
        }
        if (performance.now() - started > 10_000) throw new Error('no hls.js session found to shorten its buffer (element internals changed?)');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    { attributes, watched: [...WATCHED], onlyHeight: options.onlyHeight, bufferSeconds: options.bufferSeconds },
  );
  if (loadedBeforeLimit !== 0) throw new Error(`${loadedBeforeLimit} segment(s) loaded before the buffer was shortened`);
  return { page, errors, close: () => context.close() };
}

export const stats = (v: Viewer) => v.page.evaluate(() => document.querySelector('p2p-video')!.stats);

export const count = (v: Viewer, type: string) =>
  v.page.evaluate((type) => (window as unknown as { __events: { type: string }[] }).__events.filter((e) => e.type === type).length, type);

export const details = <T>(v: Viewer, type: string) =>
  v.page.evaluate(
    (type) => (window as unknown as { __events: { type: string; detail: unknown }[] }).__events.filter((e) => e.type === type).map((e) => e.detail),
    type,
  ) as Promise<T[]>;

/** `waiting` events after playback first started, not counting those of a seek. */
export const stallsAfterPlaying = (v: Viewer) =>
  v.page.evaluate(() => {
    const log = (window as unknown as { __events: { type: string; time: number }[] }).__events;
    const first = log.find((e) => e.type === 'playing');
    const seeks = log.filter((e) => e.type === 'seeked').map((e) => e.time);
    return log.filter((e) => e.type === 'waiting' && first && e.time > first.time && !seeks.some((s) => e.time >= s - 2000 && e.time <= s + 100)).length;
  });

export interface Wait {
  /** ms, page clock. */
  time: number;
  /** The playhead, s. */
  at: number;
  /** Media buffered ahead of the playhead, contiguous with it, s. */
  ahead: number;
}

/**
 * Stalls: `waiting` events after playback first started (not those of a seek) with less than half a second of
 * media buffered ahead of the playhead, where a late segment, a failed source or a gap leave it. A `waiting` with
 * seconds of media buffered is the decoder starved of CPU on a loaded machine (every viewer of the test runs in
 * one Chromium on two cores), which no delivery fault causes; `waits` lists all of them.
 */
export async function stalls(v: Viewer): Promise<{ stalls: Wait[]; waits: Wait[] }> {
  const { log, waits } = await v.page.evaluate(() => ({
    log: (window as unknown as { __events: { type: string; time: number }[] }).__events.map(({ type, time }) => ({ type, time })),
    waits: (window as unknown as { __waits: { time: number; at: number; ranges: [number, number][] }[] }).__waits,
  }));
  const first = log.find((e) => e.type === 'playing');
  const seeks = log.filter((e) => e.type === 'seeked').map((e) => e.time);
  const all = waits
    .filter((w) => first && w.time > first.time && !seeks.some((s) => w.time >= s - 2000 && w.time <= s + 100))
    .map(({ time, at, ranges }) => {
      const around = ranges.find(([start, end]) => start - 0.1 <= at && at <= end);
      return { time: Math.round(time), at, ahead: around ? around[1] - at : 0 };
    });
  return { stalls: all.filter((w) => w.ahead < 0.5), waits: all };
}

export const currentTime = (v: Viewer) => v.page.evaluate(() => document.querySelector('p2p-video')!.media!.currentTime);

export async function playsTo(v: Viewer, seconds: number, timeout = 45_000): Promise<void> {
  await v.page.waitForFunction((s) => document.querySelector('p2p-video')!.media!.currentTime >= s, seconds, { timeout });
}

/** Runs `body` against a p2p-seed of its own on the test collection, so no other test's traffic is counted. */
export async function withServer(options: Pick<ServerOptions, 'seed' | 'live' | 'seedLimits'>, body: (origin: string, server: RunningServer) => Promise<void>): Promise<void> {
  // Open tracker: most tests give their viewers a swarm of their own (swarm-id), which the collection does not list.
  const server = await startServer({ root: process.env.P2P_TEST_ROOT!, port: 0, openTracker: true, ...options });
  try {
    await body(server.url.replace(/\/$/, ''), server);
  } finally {
    await server.close();
  }
}

/** Closes the viewers, first attaching each one's events and waits to the test's report (read when a test fails). */
export async function closeAll(viewers: (Viewer | undefined)[]): Promise<void> {
  for (const [i, v] of viewers.entries()) {
    if (!v) continue;
    const lines = await v.page
      .evaluate(() =>
        (window as unknown as { __events: { type: string; time: number; detail?: unknown }[] }).__events
          .filter((e) => e.type !== 'p2pstats' && e.type !== 'timeupdate')
          .map((e) => `${Math.round(e.time)} ${e.type} ${e.detail === undefined ? '' : JSON.stringify(e.detail)}`),
      )
      .catch((error: unknown) => [`(no events: ${String(error)})`]);
    const waits = await stalls(v).then(
      (s) => s.waits.map((w) => JSON.stringify(w)),
      () => [],
    );
    await test.info().attach(`viewer ${i + 1} events`, { body: [...lines, 'waiting:', ...waits].join('\n'), contentType: 'text/plain' });
  }
  await Promise.all(viewers.map((v) => v?.close()));
}
