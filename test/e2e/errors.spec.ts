import { events, expect, mount, test, waitForEvent } from './fixtures.ts';

const CASES = [
  { name: 'a playlist that is not there (404)', src: '/nope/master.m3u8', code: 'ERR_SRC_NOT_FOUND', says: /not found/i },
  { name: 'an origin that cannot be reached', src: 'http://127.0.0.1:9/x/master.m3u8', code: 'ERR_NETWORK', says: /could not be reached/i },
  { name: 'a malformed playlist', src: '/bad/malformed.m3u8', code: 'ERR_PLAYLIST_MALFORMED', says: /not a valid HLS playlist/i },
  { name: 'segments that are not media', src: '/bad/notmedia/index.m3u8', code: 'ERR_SEGMENT_NOT_MEDIA', says: /not video data/i },
  { name: 'a codec the browser cannot decode', src: '/bad/codec.m3u8', code: 'ERR_CODEC_UNSUPPORTED', says: /cannot play the video format/i },
] as const;

for (const bad of CASES) {
  test(`${bad.name} ends in p2perror ${bad.code} with a readable message in the player`, async ({ page, origin, pageErrors }) => {
    await mount(page, origin, { src: bad.src, muted: true, autoplay: true, controls: true });
    await waitForEvent(page, 'p2perror');
    await waitForEvent(page, 'error');

    const fatal = (await events(page, 'p2perror')).find((e) => (e.detail as { fatal: boolean }).fatal);
    expect(fatal?.detail).toMatchObject({ code: bad.code, fatal: true });
    expect((fatal?.detail as { message: string }).message).toMatch(bad.says);

    const display = page.locator('p2p-video .vjs-error-display');
    await expect(display).toBeVisible();
    await expect(display).toContainText(bad.says);
    expect(await events(page, 'playing')).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
}

test('a later good src clears the error and plays', async ({ page, origin }) => {
  await mount(page, origin, { src: '/nope/master.m3u8', muted: true, autoplay: true });
  await waitForEvent(page, 'p2perror');
  await page.evaluate(() => {
    document.querySelector('p2p-video')!.src = '/demo/master.m3u8';
  });
  await waitForEvent(page, 'playing');
  expect(await page.evaluate(() => document.querySelector('p2p-video')!.player!.error())).toBeNull();
  await expect(page.locator('p2p-video .vjs-error-display')).toBeHidden();
});
