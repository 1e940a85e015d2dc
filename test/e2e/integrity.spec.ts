import { events, expect, mount, test, waitForEvent } from './fixtures.ts';
import { count, details, playsTo, stats, viewer } from './viewers.ts';

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

// The swarm is joined while the hash manifest loads; when it cannot be had, the viewer leaves it and takes
// nothing from peers, even from one that holds the whole title.
test('a hash manifest that cannot be loaded means HTTP only, with a warning that says so', async ({ browser, origin }) => {
  const a = await viewer(browser, origin, { src: '/demo/master.m3u8', muted: true, autoplay: true });
  await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
  const b = await viewer(
    browser,
    origin,
    { src: '/demo/master.m3u8', muted: true, autoplay: true },
    { beforeLoad: async (page) => void (await page.route('**/demo/hashes.json', (route) => route.fulfill({ status: 404, body: 'not here' }))) },
  );
  await playsTo(b, 6);
  const warnings = await details<{ code: string; fatal: boolean }>(b, 'p2perror');
  expect(warnings).toEqual([expect.objectContaining({ code: 'ERR_HASH_MANIFEST', fatal: false })]);
  const sb = await stats(b);
  expect(sb).toMatchObject({ p2pBytes: 0, segmentsFromPeers: 0, peers: 0, uploadBytes: 0 });
  expect(sb.segmentsFromHttp).toBeGreaterThanOrEqual(2);
  expect(await count(b, 'error')).toBe(0);
  expect([...a.errors, ...b.errors]).toEqual([]);
  await Promise.all([a.close(), b.close()]);
});
