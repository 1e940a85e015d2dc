import { events, expect, mount, test, waitForEvent } from './fixtures.ts';

// One viewer, no peers: what verify-http does with the origin's own bytes.
test('with verify-http, a segment the origin (or a CDN in between) corrupts is refused and fetched again; playback goes on', async ({ page, origin }) => {
  let corrupted = 0;
  let requests = 0;
  await page.route('**/seeded/**/seg-00001.m4s', async (route) => {
    requests += 1;
    const response = await route.fetch();
    if (corrupted > 0) return route.fulfill({ response });
    corrupted += 1;
    const body = Buffer.from(await response.body());
    body[body.length >> 1] ^= 0x01;
    await route.fulfill({ response, body });
  });
  await mount(page, origin, { src: '/seeded/master.m3u8', muted: true, autoplay: true, 'verify-http': true });
  await waitForEvent(page, 'playing');
  await page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 5, undefined, { timeout: 30_000 });
  // Refused, then asked for again: the player never got the corrupted bytes.
  expect(corrupted).toBe(1);
  expect(requests).toBe(2);
  const warnings = (await events(page, 'p2perror')).map((e) => e.detail as { code: string; message: string; fatal: boolean });
  expect(warnings).toEqual([expect.objectContaining({ code: 'ERR_HTTP_INTEGRITY', fatal: false, message: expect.stringMatching(/refused$/) })]);
  expect(await events(page, 'error')).toEqual([]);
});
