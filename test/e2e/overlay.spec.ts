import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { stats, viewer, type Viewer } from './viewers.ts';

// The peer/origin overlay and the stats panel (plugins/), driven as a viewer would: mouse, keyboard, narrow players.

const overlay = (page: Page) => page.getByRole('region', { name: /where this video comes from/i });
const statsPanel = (page: Page) => page.getByRole('region', { name: /peer-to-peer statistics/i });
const overlayButton = (page: Page) => page.getByRole('button', { name: 'Peers and origin' });
const statsButton = (page: Page) => page.getByRole('button', { name: 'Statistics' });

/** The overlay's peer share as shown ("72%", "<1%", ">99%"), as a number of percent. */
async function shownPeerShare(page: Page): Promise<number> {
  const text = (await page.locator('.vjs-p2p-overlay [data-share="peers"]').textContent()) ?? '';
  if (text === '<1%') return 0.5;
  if (text === '>99%') return 99.5;
  const match = /^(\d+)%$/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** The overlay shows the viewer's el.stats: its peer share within rounding (it is updated once a second). */
async function expectShareOfStats(v: Viewer): Promise<void> {
  const apart = async (): Promise<number> => {
    const s = await stats(v);
    return Math.abs((await shownPeerShare(v.page)) - (100 * s.p2pBytes) / (s.p2pBytes + s.httpBytes));
  };
  await expect.poll(apart, { timeout: 10_000 }).toBeLessThanOrEqual(1);
}

/** A figure that is not nothing ("1.2 MB", "3"; not "0", "0 B"). */
const nonZero = /^([1-9]|0\.\d*[1-9])/;

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not laid out');
  return b;
}

/** The panel sits inside the player, entirely above its control bar. */
async function expectAboveControlBar(v: Viewer, panel: Locator): Promise<void> {
  const player = await box(v.page.locator('p2p-video .video-js'));
  const bar = await box(v.page.locator('p2p-video .vjs-control-bar'));
  const p = await box(panel);
  expect(p.x).toBeGreaterThanOrEqual(player.x);
  expect(p.y).toBeGreaterThanOrEqual(player.y);
  expect(p.x + p.width).toBeLessThanOrEqual(player.x + player.width + 0.5);
  expect(p.y + p.height).toBeLessThanOrEqual(bar.y + 0.5);
}

/**
 * What a viewer's mouse over the player does: video.js shows the control bar (it hides it, and lets clicks through
 * it, after two idle seconds of playback). Playwright's synthetic mouse moves do not always count as activity.
 */
async function showControls(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelector('p2p-video')!.player!.userActive(true));
}

async function screenshot(v: Viewer, testInfo: TestInfo, name: string): Promise<void> {
  await showControls(v.page);
  const path = testInfo.outputPath(`${name}.png`);
  await v.page.locator('p2p-video').screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Clicks a control-bar button as a viewer does: the control bar shown first. */
async function press(page: Page, button: Locator): Promise<void> {
  await showControls(page);
  await button.click();
}

test('the second viewer sees its peer share in the overlay and its peers in the stats panel, at any width', async ({ browser, origin }, testInfo) => {
  // Two viewers and a dozen checks: room for a loaded machine.
  test.setTimeout(120_000);
  const attributes = { src: '/demo/master.m3u8', muted: true, autoplay: true, controls: true, overlay: true } as const;
  const a = await viewer(browser, origin, attributes);
  await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
  const b = await viewer(browser, origin, attributes);
  try {
    // The attribute shows the overlay from the start; it fills as the bytes arrive.
    await expect(overlay(b.page)).toBeVisible();
    await expect.poll(() => shownPeerShare(b.page), { timeout: 20_000 }).toBeGreaterThan(0);
    // What it shows is el.stats (within rounding, once a second).
    await expectShareOfStats(b);
    const s = await stats(b);
    expect(s.p2pBytes).toBeGreaterThan(0);
    await expect(b.page.locator('.vjs-p2p-overlay [data-figure="p2p"]')).toHaveText(nonZero);
    await expect(b.page.locator('.vjs-p2p-overlay [data-figure="peers"]')).toHaveText(nonZero);
    // Real text, selectable.
    expect(await overlay(b.page).evaluate((el) => getComputedStyle(el).userSelect)).toBe('text');

    // The stats panel: a row per peer, with the bytes that came from it, and the swarm.
    await press(b.page, statsButton(b.page));
    const panel = statsPanel(b.page);
    await expect(panel).toBeVisible();
    await expect(panel.locator('[data-field="swarm-id"]')).toHaveText(`test:${testInfo.testId}`);
    const downs = () => panel.locator('tbody tr[data-peer]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-down'))));
    await expect.poll(async () => Math.max(0, ...(await downs())), { timeout: 10_000 }).toBeGreaterThan(0);
    const rows = await downs();
    const busiest = panel.locator('tbody tr[data-peer]').nth(rows.indexOf(Math.max(...rows)));
    await expect(busiest.locator('[data-column="down"]')).toHaveText(nonZero);
    await expect(panel.locator('.vjs-p2p-stats-trackers li').first()).toContainText('connected');
    await expect(panel.locator('[data-field="rendition"]')).toContainText('p');
    await screenshot(b, testInfo, 'player-wide-stats');
    // The close button closes it.
    await panel.getByRole('button', { name: 'Close statistics' }).click();
    await expect(panel).toBeHidden();

    // Wide player: the overlay is above the control bar.
    await expectAboveControlBar(b, overlay(b.page));
    await screenshot(b, testInfo, 'player-wide');

    // 320 px: still inside the player, still above the control bar; the stats panel too.
    await b.page.evaluate(() => {
      document.querySelector('p2p-video')!.style.width = '320px';
    });
    await expect.poll(async () => (await box(b.page.locator('p2p-video .video-js'))).width).toBe(320);
    await b.page.waitForTimeout(1_100); // the next update measures the control bar again
    await expectAboveControlBar(b, overlay(b.page));
    await screenshot(b, testInfo, 'player-320-overlay');
    await press(b.page, statsButton(b.page));
    await expect(panel).toBeVisible();
    await expectAboveControlBar(b, panel);
    await screenshot(b, testInfo, 'player-320-stats');
    await b.page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
    expect([...a.errors, ...b.errors]).toEqual([]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('a progressive file\'s overlay shows its bytes from peers against those from the origin (its web seed)', async ({ browser, origin }) => {
  const file = '/prog-long.mp4';
  // p2p-seed hashes progressive files when it starts.
  await expect.poll(async () => (await fetch(`${origin}${file}.torrent`, { method: 'HEAD' })).status, { timeout: 20_000 }).toBe(200);
  const v = await viewer(browser, origin, { src: file, muted: true, autoplay: true, controls: true, overlay: true });
  try {
    await expect(overlay(v.page)).toBeVisible();
    // The first MiB comes from the origin, the rest mostly from p2p-seed's seeder: the overlay shows both.
    await expect.poll(async () => ((s) => s.httpBytes > 0 && s.p2pBytes > 0)(await stats(v)), { timeout: 30_000 }).toBe(true);
    await expectShareOfStats(v);
    for (const figure of ['p2p', 'http', 'peers']) await expect(v.page.locator(`.vjs-p2p-overlay [data-figure="${figure}"]`)).toHaveText(nonZero);
    expect(v.errors).toEqual([]);
  } finally {
    await v.close();
  }
});

test('with p2p="off" the overlay shows all from the origin; its button and the keyboard show and hide it', async ({ browser, origin }) => {
  const v = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true, controls: true, p2p: 'off' });
  const { page } = v;
  try {
    await expect.poll(async () => (await stats(v)).httpBytes, { timeout: 20_000 }).toBeGreaterThan(0);
    // No attribute: hidden until asked for.
    await expect(overlay(page)).toBeHidden();
    const button = overlayButton(page);
    await expect(button).toHaveAttribute('aria-expanded', 'false');

    await press(page, button);
    await expect(overlay(page)).toBeVisible();
    await expect(button).toHaveAttribute('aria-expanded', 'true');
    // The button sets the attribute, so page CSS can follow it.
    await expect(page.locator('p2p-video')).toHaveAttribute('overlay', '');
    await expect(page.locator('.vjs-p2p-overlay [data-share="origin"]')).toHaveText('100%');
    await expect(page.locator('.vjs-p2p-overlay [data-share="peers"]')).toHaveText('0%');
    await expect(page.locator('.vjs-p2p-overlay [data-figure="peers"]')).toHaveText('0');
    await expect(overlay(page)).toContainText('P2P off');
    await press(page, button);
    await expect(overlay(page)).toBeHidden();
    await expect(page.locator('p2p-video')).not.toHaveAttribute('overlay', '');

    // The attribute shows it too.
    await page.evaluate(() => document.querySelector('p2p-video')!.setAttribute('overlay', ''));
    await expect(overlay(page)).toBeVisible();
    await page.evaluate(() => document.querySelector('p2p-video')!.removeAttribute('overlay'));
    await expect(overlay(page)).toBeHidden();

    // Keyboard: Tab reaches the button, Enter opens, Escape closes and leaves focus on the button.
    const focused = () => page.evaluate(() => document.activeElement?.classList.contains('vjs-p2p-overlay-toggle') ?? false);
    let tabs = 0;
    while (!(await focused())) {
      if ((tabs += 1) > 40) throw new Error('Tab never reached the overlay button');
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await expect(overlay(page)).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(overlay(page)).toBeHidden();
    expect(await focused()).toBe(true);

    // The stats panel with P2P off: no swarm, no peer.
    await press(page, statsButton(page));
    await expect(statsPanel(page).locator('[data-field="mode"]')).toHaveText('off (origin only)');
    await expect(statsPanel(page).locator('tbody')).toHaveText('No peer connected');
    // Escape from inside the panel closes it and hands focus back to its button.
    await statsPanel(page).getByRole('button', { name: 'Close statistics' }).focus();
    await page.keyboard.press('Escape');
    await expect(statsPanel(page)).toBeHidden();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('vjs-p2p-stats-toggle'))).toBe(true);
    expect(v.errors).toEqual([]);
  } finally {
    await v.close();
  }
});
