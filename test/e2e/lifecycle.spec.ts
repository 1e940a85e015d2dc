import { expect, mount, test, waitForEvent } from './fixtures.ts';

test('removing the element disposes video.js and hls.js: no request is made afterwards', async ({ page, origin }) => {
  // Slow segments keep hls.js fetching for the whole test, so a player left running would show up.
  await page.route('**/ts/*.ts', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await route.continue().catch(() => {});
  });
  await mount(page, origin, { src: '/ts/index.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');

  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.waitForTimeout(1000);
  expect(requests.length, 'the player was still fetching before removal').toBeGreaterThan(0);

  const left = await page.evaluate(async () => {
    const el = document.querySelector('p2p-video')!;
    const player = el.player!;
    el.remove();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return { disposed: player.isDisposed(), player: el.player === undefined, videos: document.querySelectorAll('video').length };
  });
  expect(left).toEqual({ disposed: true, player: true, videos: 0 });

  requests.length = 0;
  await page.waitForTimeout(3000);
  expect(requests).toEqual([]);
});

test('moving the element within the page keeps the same player playing', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  const same = await page.evaluate(async () => {
    const el = document.querySelector('p2p-video')!;
    const player = el.player;
    const box = document.createElement('section');
    document.body.append(box);
    box.append(el);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return el.player === player && !player!.isDisposed() && !el.media!.paused;
  });
  expect(same).toBe(true);
});

test('loading the bundle twice defines the element once and throws nothing', async ({ page, origin, pageErrors }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true });
  await page.evaluate(async (url) => {
    await import(url);
  }, `${origin}/player/p2p-video.js?again`);
  expect(pageErrors).toEqual([]);
  expect(await page.evaluate(() => customElements.get('p2p-video') !== undefined)).toBe(true);
});
