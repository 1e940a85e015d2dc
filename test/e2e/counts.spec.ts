import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../server-seed/src/server.ts';
import { expect, test } from './fixtures.ts';
import { playsTo, viewer } from './viewers.ts';

// The site's download counts: real viewers send beacons to a p2p-seed of this test's own, with a database of its
// own, so no other test's viewers are counted.

interface Figures {
  views: number;
  watchSeconds: number;
  httpBytes: number;
  p2pBytes: number;
  peerShare: number;
  bytesSavedByPeers: number;
  originBytes: number;
  seederUploadBytes: number;
}
interface Counts {
  totals: Figures;
  titles: (Figures & { title: string })[];
  days: (Figures & { day: string })[];
}

async function counts(origin: string): Promise<Counts> {
  const response = await fetch(`${origin}/stats`);
  return ((await response.json()) as { counts: Counts }).counts;
}

const views = async (origin: string, title: string): Promise<number> => (await counts(origin)).titles.find((t) => t.title === title)?.views ?? 0;

async function serve(root: string, db: string): Promise<{ server: RunningServer; origin: string }> {
  const server = await startServer({ root, port: 0, openTracker: true, counts: { path: db } });
  return { server, origin: server.url.replace(/\/$/, '') };
}

test.describe('download counts', () => {
  let dir: string;
  test.beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'p2p-counts-'));
  });
  test.afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('each viewing session counts once, with P2P on or off, and the counts survive a restart', async ({ browser }) => {
    const db = path.join(dir, 'counts.db');
    let { server, origin } = await serve(process.env.P2P_TEST_ROOT!, db);
    try {
      expect(await views(origin, 'demo')).toBe(0);
      const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
      await playsTo(a, 3);
      await expect.poll(() => views(origin, 'demo'), { timeout: 15_000 }).toBe(1);
      // More beacons of the same session (pause, page hidden) never count it again.
      await a.page.evaluate(() => document.querySelector('p2p-video')!.media!.pause());
      await a.page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      const b = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true, p2p: 'off' });
      await playsTo(b, 3);
      await expect.poll(() => views(origin, 'demo'), { timeout: 15_000 }).toBe(2);
      await b.page.evaluate(() => document.querySelector('p2p-video')!.media!.pause());
      await expect
        .poll(async () => (await counts(origin)).titles.find((t) => t.title === 'demo')?.watchSeconds ?? 0, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(5);
      const before = (await counts(origin)).titles.find((t) => t.title === 'demo')!;
      expect(before.views).toBe(2);
      expect(before.httpBytes).toBeGreaterThan(0);
      expect([...a.errors, ...b.errors]).toEqual([]);
      await Promise.all([a.close(), b.close()]);

      await server.close();
      ({ server, origin } = await serve(process.env.P2P_TEST_ROOT!, db));
      const after = (await counts(origin)).titles.find((t) => t.title === 'demo')!;
      expect(after).toMatchObject({ views: 2, watchSeconds: before.watchSeconds, httpBytes: before.httpBytes, p2pBytes: before.p2pBytes });
    } finally {
      await server.close();
    }
  });

  test('a page that turns beacons off is not counted', async ({ browser }) => {
    const { server, origin } = await serve(process.env.P2P_TEST_ROOT!, path.join(dir, 'counts.db'));
    try {
      const beacons: string[] = [];
      const a = await viewer(
        browser,
        origin,
        { src: '/demo/master.m3u8', muted: true, autoplay: true, beacon: 'off' },
        { beforeLoad: async (page) => void page.on('request', (r) => r.url().endsWith('/beacon') && beacons.push(r.url())) },
      );
      await playsTo(a, 3);
      await a.page.evaluate(() => document.querySelector('p2p-video')!.media!.pause());
      await a.page.waitForTimeout(500);
      expect(beacons).toEqual([]);
      expect(await views(origin, 'demo')).toBe(0);
      await a.close();
    } finally {
      await server.close();
    }
  });

  test('the dashboard renders with no page error and shows the numbers /stats gives', async ({ browser }) => {
    const { server, origin } = await serve(process.env.P2P_TEST_ROOT!, path.join(dir, 'counts.db'));
    try {
      const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
      await playsTo(a, 3);
      await expect.poll(() => views(origin, 'demo'), { timeout: 15_000 }).toBe(1);

      const context = await browser.newContext({ viewport: { width: 1000, height: 1200 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${origin}/dashboard/`);
      await page.waitForSelector('body[data-loaded]');
      await expect(page.locator('#days-chart canvas')).toHaveCount(1);
      await expect(page.locator('#live-chart canvas')).toHaveCount(1);

      // The viewer is still playing, so figures move: compare one /stats read with the page's next refresh.
      await a.page.evaluate(() => document.querySelector('p2p-video')!.media!.pause());
      await expect
        .poll(
          async () => {
            const stats = await counts(origin);
            const shown = await dashboardFigures(page);
            const totals = Object.fromEntries(Object.keys(shown.totals).map((k) => [k, stats.totals[k as keyof Figures]]));
            const titles = stats.titles.map((t) => ({ title: t.title, views: t.views, p2pBytes: t.p2pBytes, httpBytes: t.httpBytes }));
            return JSON.stringify({ totals, titles }) === JSON.stringify(shown);
          },
          { timeout: 20_000, intervals: [1000] },
        )
        .toBe(true);
      const shown = await dashboardFigures(page);
      expect(shown.titles).toEqual([expect.objectContaining({ title: 'demo', views: 1 })]);
      expect(shown.totals.views).toBe(1);
      await test.info().attach('dashboard.png', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
      expect(errors).toEqual([]);
      expect(a.errors).toEqual([]);
      await Promise.all([a.close(), context.close()]);
    } finally {
      await server.close();
    }
  });
});

/** The figures the dashboard shows, read from the raw numbers it keeps beside each formatted one. */
function dashboardFigures(page: Page): Promise<{ totals: Record<string, number>; titles: { title: string; views: number; p2pBytes: number; httpBytes: number }[] }> {
  return page.evaluate(() => {
    const totals: Record<string, number> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-total]')) totals[el.dataset.total!] = Number(el.dataset.value);
    const titles = [...document.querySelectorAll<HTMLTableRowElement>('#titles tbody tr')].map((row) => {
      const value = (key: string) => Number(row.querySelector<HTMLElement>(`[data-key="${key}"]`)!.dataset.value);
      return { title: row.dataset.title!, views: value('views'), p2pBytes: value('p2pBytes'), httpBytes: value('httpBytes') };
    });
    return { totals, titles };
  });
}
