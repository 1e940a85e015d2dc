import type { Browser, Page } from '@playwright/test';
import { expect, test, WATCHED } from './fixtures.ts';

interface Viewer {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** A viewer in its own browser context (no shared storage), with one <p2p-video> recording its events. */
async function viewer(browser: Browser, origin: string, attributes: Record<string, string | true>): Promise<Viewer> {
  // Tests run in parallel on the same demo: each test's viewers get a swarm of their own.
  attributes = { 'swarm-id': `test:${test.info().testId}`, ...attributes };
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/harness.html`);
  await page.evaluate(
    ({ attributes, watched }) => {
      const el = document.createElement('p2p-video');
      const log: { type: string; detail?: unknown; time: number }[] = [];
      (window as unknown as { __events: typeof log }).__events = log;
      for (const type of [...watched, 'p2ppeerconnect', 'p2ppeerclose']) {
        el.addEventListener(type, (e) => {
          const detail = (e as CustomEvent).detail;
          log.push({ type, detail: detail === undefined ? undefined : JSON.parse(JSON.stringify(detail)), time: performance.now() });
        });
      }
      for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value === true ? '' : value);
      document.body.append(el);
    },
    { attributes, watched: [...WATCHED] },
  );
  return { page, errors, close: () => context.close() };
}

const stats = (v: Viewer) => v.page.evaluate(() => document.querySelector('p2p-video')!.stats);
const count = (v: Viewer, type: string) =>
  v.page.evaluate((type) => (window as unknown as { __events: { type: string }[] }).__events.filter((e) => e.type === type).length, type);
const stallsAfterPlaying = (v: Viewer) =>
  v.page.evaluate(() => {
    const log = (window as unknown as { __events: { type: string; time: number }[] }).__events;
    const first = log.find((e) => e.type === 'playing');
    const seeks = log.filter((e) => e.type === 'seeked').map((e) => e.time);
    // A `waiting` right after a seek is the seek itself, not a stall.
    return log.filter((e) => e.type === 'waiting' && first && e.time > first.time && !seeks.some((s) => e.time >= s - 2000 && e.time <= s + 100)).length;
  });

async function playsTo(v: Viewer, seconds: number): Promise<void> {
  await v.page.waitForFunction((s) => document.querySelector('p2p-video')!.media!.currentTime >= s, seconds, { timeout: 45_000 });
}

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
