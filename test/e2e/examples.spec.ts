import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures.ts';

const pages = readdirSync(join(import.meta.dirname, '../../examples')).filter((name) => name.endsWith('.html'));

test('there are example pages to check', () => {
  expect(pages).toEqual(expect.arrayContaining(['embed.html', 'gallery.html']));
});

for (const name of pages) {
  test(`examples/${name} loads with no page error and its players are defined`, async ({ page, origin }) => {
    await page.goto(`${origin}/examples/${name}`);
    await page.waitForFunction(() => customElements.get('p2p-video') !== undefined);
    await expect(page.locator('p2p-video .video-js').first()).toBeVisible();
  });
}

test('the embed page plays the demo', async ({ page, origin }) => {
  await page.goto(`${origin}/examples/embed.html`);
  await page.evaluate(() => document.querySelector('p2p-video')!.media!.play());
  await page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 1);
});

test('the gallery at / lists the demo title and plays it', async ({ page, origin }) => {
  await page.goto(`${origin}/`);
  const item = page.locator('#titles li', { hasText: 'demo' }).first();
  await expect(item).toBeVisible();
  await expect(item).toContainText('0:30');
  await expect(item.locator('p2p-video')).toHaveAttribute('src', '/demo/master.m3u8');
  await item.locator('.vjs-big-play-button').click();
  await page.waitForFunction(() => {
    const el = [...document.querySelectorAll('p2p-video')].find((e) => e.getAttribute('src') === '/demo/master.m3u8');
    return (el?.media?.currentTime ?? 0) > 1;
  });
});
