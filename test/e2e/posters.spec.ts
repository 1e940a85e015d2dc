import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

interface ListedTitle {
  id: string;
  src: string;
  poster?: string;
}

/** The poster's pixels as the page decodes them: size and the spread of its colour values. */
async function inspectPoster(page: Page, src: string): Promise<{ url: string; width: number; height: number; spread: number; shown: string | null }> {
  return page.evaluate(async (src) => {
    const el = [...document.querySelectorAll('p2p-video')].find((candidate) => candidate.getAttribute('src') === src)!;
    const url = el.getAttribute('poster') ?? '';
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let squares = 0;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      for (let channel = 0; channel < 3; channel += 1) {
        sum += data[i + channel];
        squares += data[i + channel] ** 2;
        count += 1;
      }
    }
    const mean = sum / count;
    return {
      url,
      width: image.naturalWidth,
      height: image.naturalHeight,
      spread: Math.sqrt(squares / count - mean ** 2),
      shown: el.querySelector<HTMLImageElement>('.vjs-poster img')?.getAttribute('src') ?? null,
    };
  }, src);
}

test('the gallery turns each packaged title’s poster.mp4 into a poster image, lazily', async ({ page, origin, request }) => {
  const { titles } = (await (await request.get(`${origin}/collection.json`)).json()) as { titles: ListedTitle[] };
  const withPoster = titles.filter((title) => title.poster);
  // Every title our packager made in the test collection has a poster frame.
  expect(withPoster.map((title) => [title.id, title.poster])).toEqual(
    expect.arrayContaining([
      ['demo', '/demo/poster.mp4'],
      ['packaged', '/packaged/poster.mp4'],
      ['seeded', '/seeded/poster.mp4'],
    ]),
  );

  // One narrow column: the last titles are well below the screen at first.
  await page.setViewportSize({ width: 360, height: 480 });
  const requested: string[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('/poster.mp4')) requested.push(new URL(req.url()).pathname);
  });
  await page.goto(`${origin}/`);
  const tiles = page.locator('#titles p2p-video');
  await expect(tiles).toHaveCount(titles.length);
  const last = withPoster.at(-1)!;
  const lastBox = await page.locator(`#titles p2p-video[src="${last.src}"]`).boundingBox();
  if (lastBox && lastBox.y > 480 + 300 + 100) {
    await page.waitForTimeout(1000);
    expect(requested, 'a poster far below the screen waits until it comes near').not.toContain(last.poster);
  }

  for (const title of withPoster) {
    const player = page.locator(`#titles p2p-video[src="${title.src}"]`);
    await player.scrollIntoViewIfNeeded();
    await expect(player).toHaveAttribute('poster', /^(blob:|data:image\/)/);
    const poster = await inspectPoster(page, title.src);
    // The demo's smallest rendition at least 360p tall is its 640x360 one; the test titles are 320x180 only.
    expect([poster.width, poster.height], title.id).toEqual(title.id === 'demo' ? [640, 360] : [320, 180]);
    // testsrc2 is colour bars and a moving pattern: a blank or failed frame has next to no spread.
    expect(poster.spread, `${title.id}: pixel spread`).toBeGreaterThan(30);
    expect(poster.shown, `${title.id}: video.js shows the poster`).toBe(poster.url);
  }
  expect(requested.sort()).toEqual(withPoster.map((title) => title.poster).sort());
});

test('a gallery tile whose poster.mp4 cannot be decoded just has no poster', async ({ page, origin }) => {
  let served = 0;
  await page.route('**/poster.mp4', async (route) => {
    served += 1;
    await route.fulfill({ status: 200, contentType: 'video/mp4', body: 'not video, just text\n'.repeat(200) });
  });
  await page.goto(`${origin}/`);
  await expect.poll(() => served).toBeGreaterThan(0);
  await page.waitForTimeout(1500);
  await expect(page.locator('#status')).not.toHaveAttribute('data-error');
  await expect(page.locator('#titles p2p-video[poster]:not([poster=""])')).toHaveCount(0);
});
