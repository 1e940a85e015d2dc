import { currentTime, events, expect, mount, test, waitForEvent, waitForProgress } from './fixtures.ts';

test('plays the demo HLS stream: playing fires, time advances, both renditions are quality levels', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true, controls: true });
  await waitForEvent(page, 'playing');
  await waitForProgress(page, 1.5);

  const state = await page.evaluate(() => {
    const el = document.querySelector('p2p-video')!;
    const levels = (el.player as unknown as { qualityLevels(): { length: number; [i: number]: { height: number } } }).qualityLevels();
    return {
      heights: Array.from({ length: levels.length }, (_, i) => levels[i].height).sort((a, b) => a - b),
      stats: el.stats,
      videoInElement: el.contains(el.media!),
      hlsDriven: el.media!.src.startsWith('blob:'),
      error: el.player!.error(),
    };
  });
  expect(state.heights).toEqual([240, 360]);
  expect(state.videoInElement).toBe(true);
  expect(state.hlsDriven).toBe(true); // MediaSource from hls.js, not the browser's native player
  expect(state.stats.httpBytes).toBeGreaterThan(10_000);
  expect(state.stats.segmentsFromHttp).toBeGreaterThan(1);
  expect(state.stats.p2pBytes).toBe(0);
  expect(state.error).toBeNull();
  expect((await events(page, 'p2pstats')).length).toBeGreaterThan(0);
  expect(await events(page, 'p2perror')).toEqual([]);
});

test('a seek to the middle lands there and playback goes on', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  const duration = await page.evaluate(() => document.querySelector('p2p-video')!.media!.duration);
  expect(duration).toBeGreaterThan(29);
  expect(duration).toBeLessThan(31);

  const target = duration / 2;
  // Where the seek landed, read at its seeked event: read later, playback has moved on (far, on a loaded machine).
  const landed = await page.evaluate(
    (t) =>
      new Promise<number>((resolve) => {
        const media = document.querySelector('p2p-video')!.media!;
        media.addEventListener('seeked', () => resolve(media.currentTime), { once: true });
        media.currentTime = t;
      }),
    target,
  );
  expect(Math.abs(landed - target)).toBeLessThan(1);
  const later = await waitForProgress(page, 1.5);
  expect(later).toBeGreaterThan(target + 1.4);
});

test('a stream from another packager (ffmpeg, MPEG-TS segments) plays', async ({ page, origin }) => {
  await mount(page, origin, { src: '/ts/index.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  await waitForProgress(page, 1.5);
  expect(await events(page, 'p2perror')).toEqual([]);
});

test('changing src tears the old stream down and plays the new one', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  const before = await page.evaluate(() => document.querySelector('p2p-video')!.stats.httpBytes);
  expect(before).toBeGreaterThan(0);

  const requests: { url: string; time: number }[] = [];
  page.on('request', (request) => requests.push({ url: request.url(), time: Date.now() }));
  const swappedAt = Date.now();
  await page.evaluate(() => {
    document.querySelector('p2p-video')!.src = '/ts/index.m3u8';
  });
  await waitForEvent(page, 'playing', 2);
  await waitForProgress(page, 1.5);

  const after = await page.evaluate(() => {
    const el = document.querySelector('p2p-video')!;
    return { src: el.getAttribute('src'), stats: el.stats, duration: el.media!.duration };
  });
  expect(after.src).toBe('/ts/index.m3u8');
  expect(after.duration).toBeGreaterThan(59); // the new stream's length, not the demo's 30 s
  // Nothing asked for the old stream once the swap had settled.
  const late = requests.filter((r) => r.url.includes('/demo/') && r.time > swappedAt + 500);
  expect(late).toEqual([]);
  expect(requests.some((r) => r.url.includes('/ts/'))).toBe(true);
});

test('a title packaged by p2p-seed (mp4box, fMP4, separate audio) plays and seeks', async ({ page, origin }) => {
  await mount(page, origin, { src: '/packaged/master.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  await waitForProgress(page, 1);
  const duration = await page.evaluate(() => document.querySelector('p2p-video')!.media!.duration);
  expect(Math.abs(duration - 12)).toBeLessThan(0.1);
  await page.evaluate(() => {
    document.querySelector('p2p-video')!.media!.currentTime = 8;
  });
  await waitForEvent(page, 'seeked');
  expect(await waitForProgress(page, 1)).toBeGreaterThan(8.9);
  expect(await events(page, 'p2perror')).toEqual([]);
});

test('a progressive MP4 plays through the same element', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo.mp4', muted: true, autoplay: true });
  await waitForEvent(page, 'playing');
  await waitForProgress(page, 1);
  expect(await page.evaluate(() => document.querySelector('p2p-video')!.media!.currentSrc)).toContain('/demo.mp4');
});

test('media attributes behave as on <video>', async ({ page, origin }) => {
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, controls: true, playsinline: true, poster: '/poster.jpg' });
  const initial = await page.evaluate(() => {
    const el = document.querySelector('p2p-video')!;
    return {
      muted: el.media!.muted,
      playsInline: el.media!.playsInline,
      controls: el.player!.controls(),
      poster: el.player!.poster(),
      controlsEnabled: el.querySelector('.video-js')!.classList.contains('vjs-controls-enabled'),
    };
  });
  expect(initial).toMatchObject({ muted: true, playsInline: true, controls: true, controlsEnabled: true });
  expect(initial.poster).toContain('/poster.jpg');
  await expect
    .poll(() => page.evaluate(() => document.querySelector<HTMLImageElement>('p2p-video .vjs-poster img')?.naturalWidth ?? 0))
    .toBeGreaterThan(0);
  await expect(page.locator('p2p-video .vjs-big-play-button')).toBeVisible();

  const changed = await page.evaluate(async () => {
    const el = document.querySelector('p2p-video')!;
    el.removeAttribute('muted');
    el.removeAttribute('controls');
    await el.updateComplete;
    return {
      muted: el.media!.muted,
      controls: el.player!.controls(),
      controlsDisabled: el.querySelector('.video-js')!.classList.contains('vjs-controls-disabled'),
    };
  });
  expect(changed).toEqual({ muted: false, controls: false, controlsDisabled: true });
  await expect(page.locator('p2p-video .vjs-big-play-button')).toBeHidden();
});

test('preload="none" fetches no segment until the viewer presses play', async ({ page, origin }) => {
  const segments: string[] = [];
  page.on('request', (request) => {
    if (/\.(m4s|ts)$/.test(new URL(request.url()).pathname)) segments.push(request.url());
  });
  await mount(page, origin, { src: '/demo/master.m3u8', muted: true, preload: 'none' });
  await page.waitForTimeout(1500);
  expect(segments).toEqual([]);

  await page.evaluate(() => document.querySelector('p2p-video')!.media!.play());
  await waitForEvent(page, 'playing');
  expect(segments.length).toBeGreaterThan(0);
});
