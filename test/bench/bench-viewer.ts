import type { Browser, Page } from '@playwright/test';

/**
 * off: plain hls.js over HTTP; on: viewers share among themselves, every peer segment checked against the hash
 * manifest; unverified: the same without the checks (p2p="unverified"); seeded: on, with the server's seeder.
 */
export type Mode = 'off' | 'on' | 'unverified' | 'seeded';

export interface ViewerOptions {
  /** Page URL of the bare page that loads the player bundle. */
  page: string;
  /** Playlist URL. */
  src: string;
  mode: Mode;
  swarmId: string;
  watchSeconds: number;
  /** How long to wait for the first `playing` before giving up, ms. */
  startTimeoutMs: number;
  /** Name in messages; default `viewer <index + 1>`. */
  label?: string;
  /**
   * A viewer who has been on the site before: the page is loaded once with the player's service worker registered
   * (as a first torrent left it), then loaded again and measured.
   */
  returning?: boolean;
  /**
   * Runs alongside the watch, given the page and the watch's length in ms (e.g. to sample the player now and then);
   * the viewer leaves once both it and the watch are over. It should catch its own errors: a rejection fails the viewer.
   */
  whileWatching?: (page: Page, watchMs: number) => Promise<void>;
}

export interface ViewerResult {
  index: number;
  /** ms from setting `src` to the first `playing`, measured in the page. */
  startupMs: number;
  /** `waiting` events after the first `playing`. */
  stalls: number;
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  segmentsFromHttp: number;
  segmentsFromPeers: number;
  /** Most peers the element reported at once. */
  maxPeers: number;
  /** ms from `src` to the first peer connection; null when none connected. */
  firstPeerMs: number | null;
  /** ms from `src` to the first stats report with peer bytes in it; null when no byte came from a peer. */
  firstPeerBytesMs: number | null;
  /** Segments fetched over HTTP by then (from the stats reports, which come at most once a second). */
  httpSegmentsBeforePeerBytes: number | null;
  /** Media time reached when the viewer left, s; below the watch time when playback lagged (a busy machine). */
  playedTo: number;
  /** Height of the rendition playing when the viewer left (with `--renditions 2`, which one hls.js chose). */
  height: number;
  /** Uncaught page errors and `p2perror` warnings, for the report. */
  pageErrors: string[];
  p2pWarnings: string[];
}

export class ViewerStartError extends Error {
  readonly code = 'ERR_VIEWER_NEVER_PLAYED';
}

/** What the page records about its one `<p2p-video>`, read back by `collect`. */
interface PageRecord {
  srcAt: number;
  firstPlaying: number | null;
  stalls: number;
  firstPeer: number | null;
  firstPeerBytes: number | null;
  httpSegmentsBeforePeerBytes: number | null;
  maxPeers: number;
  warnings: string[];
  events: string[];
}

declare global {
  interface Window {
    __bench?: PageRecord;
  }
}

/**
 * One viewer in a browser context of its own: opens the bare page, plays `src` muted with autoplay, watches
 * `watchSeconds` of wall-clock time from its first `playing`, reads its counters and leaves (closes the context).
 */
export async function runViewer(browser: Browser, index: number, options: ViewerOptions): Promise<ViewerResult> {
  const name = `${options.label ?? `viewer ${index + 1}`} (P2P ${options.mode})`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    await page.goto(options.page);
    if (options.returning) {
      await page.evaluate(async () => {
        await navigator.serviceWorker.register('/player/p2p-video-sw.js', { scope: '/' });
        await navigator.serviceWorker.ready;
      });
      await page.reload();
    }
    try {
      await page.waitForFunction(() => customElements.get('p2p-video') !== undefined, null, { timeout: options.startTimeoutMs });
    } catch {
      throw new ViewerStartError(
        `${name}: /player/p2p-video.js did not define <p2p-video>` +
          `${pageErrors.length ? ` (${pageErrors.join('; ')})` : ''}; is the build complete (npm run build)?`,
      );
    }
    await mount(page, options);

    // A player that gave up with `error` will not play later: stop waiting at once rather than at the timeout.
    const settled = () => window.__bench!.firstPlaying !== null || window.__bench!.events.includes('error');
    const started = await page
      .waitForFunction(settled, null, { timeout: options.startTimeoutMs, polling: 100 })
      .then(() => page.evaluate(() => window.__bench!.firstPlaying !== null))
      .catch(() => false);
    if (!started) {
      const record = await page.evaluate(() => window.__bench!).catch(() => undefined);
      const why = record?.events.includes('error') ? 'the player stopped on an error' : `no \`playing\` within ${options.startTimeoutMs / 1000} s`;
      const seen = record ? `events: ${record.events.slice(-12).join(' ') || 'none'}` : 'page unreadable';
      const extra = [...pageErrors, ...(record?.warnings ?? [])].join('; ');
      throw new ViewerStartError(`${name} never started playing: ${why} (${seen}${extra ? `; ${extra}` : ''})`);
    }
    // Watch time counts from this viewer's own first `playing`, not from when it was created.
    const sincePlaying = await page.evaluate(() => performance.now() - window.__bench!.firstPlaying!);
    const watchMs = Math.max(0, options.watchSeconds * 1000 - sincePlaying);
    await Promise.all([sleep(watchMs), options.whileWatching?.(page, watchMs)]);
    return { index, ...(await collect(page)), pageErrors };
  } finally {
    await context.close();
  }
}

async function mount(page: Page, options: ViewerOptions): Promise<void> {
  await page.evaluate(
    ({ src, mode, swarmId }) => {
      const record: PageRecord = {
        srcAt: 0,
        firstPlaying: null,
        stalls: 0,
        firstPeer: null,
        firstPeerBytes: null,
        httpSegmentsBeforePeerBytes: null,
        maxPeers: 0,
        warnings: [],
        events: [],
      };
      window.__bench = record;
      const el = document.createElement('p2p-video');
      el.addEventListener('playing', () => {
        record.events.push('playing');
        record.firstPlaying ??= performance.now();
      });
      el.addEventListener('waiting', () => {
        record.events.push('waiting');
        if (record.firstPlaying !== null) record.stalls += 1;
      });
      el.addEventListener('error', () => record.events.push('error'));
      el.addEventListener('p2perror', (e) => {
        const { code, message } = (e as CustomEvent<{ code: string; message: string }>).detail;
        record.warnings.push(`${code}: ${message}`);
      });
      el.addEventListener('p2ppeerconnect', () => {
        record.firstPeer ??= performance.now();
      });
      el.addEventListener('p2pstats', (e) => {
        const stats = (e as CustomEvent<{ p2pBytes: number; peers: number; segmentsFromHttp: number }>).detail;
        record.maxPeers = Math.max(record.maxPeers, stats.peers);
        if (stats.p2pBytes > 0 && record.firstPeerBytes === null) {
          record.firstPeerBytes = performance.now();
          record.httpSegmentsBeforePeerBytes = stats.segmentsFromHttp;
        }
      });
      el.setAttribute('muted', '');
      el.setAttribute('autoplay', '');
      // The seeder is in the stream's own swarm (swarm.json); the other modes get a swarm of their own per run.
      if (mode !== 'seeded') el.setAttribute('swarm-id', swarmId);
      if (mode === 'off') el.setAttribute('p2p', 'off');
      if (mode === 'unverified') el.setAttribute('p2p', 'unverified');
      document.body.append(el);
      record.srcAt = performance.now();
      el.setAttribute('src', src);
    },
    { src: options.src, mode: options.mode, swarmId: options.swarmId },
  );
}

async function collect(page: Page): Promise<Omit<ViewerResult, 'index' | 'pageErrors'>> {
  return page.evaluate(() => {
    const r = window.__bench!;
    const el = document.querySelector('p2p-video')!;
    const s = el.stats;
    // No local helper functions here: tsx would wrap them in a `__name` call the page does not define.
    return {
      startupMs: Math.round(r.firstPlaying! - r.srcAt),
      stalls: r.stalls,
      httpBytes: s.httpBytes,
      p2pBytes: s.p2pBytes,
      uploadBytes: s.uploadBytes,
      segmentsFromHttp: s.segmentsFromHttp,
      segmentsFromPeers: s.segmentsFromPeers,
      maxPeers: Math.max(r.maxPeers, s.peers),
      firstPeerMs: r.firstPeer === null ? null : Math.round(r.firstPeer - r.srcAt),
      firstPeerBytesMs: r.firstPeerBytes === null ? null : Math.round(r.firstPeerBytes - r.srcAt),
      httpSegmentsBeforePeerBytes: r.httpSegmentsBeforePeerBytes,
      playedTo: Math.round((el.media?.currentTime ?? 0) * 10) / 10,
      height: el.media?.videoHeight ?? 0,
      p2pWarnings: r.warnings,
    };
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
