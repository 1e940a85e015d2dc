import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import type { EngineDetails } from '../../player/src/engine/details.ts';
import { expect, test } from './fixtures.ts';
import { closeAll, count, details, stalls, stats, viewer, withServer, type Viewer, type ViewerOptions, type Wait } from './viewers.ts';

// Progressive files (MP4, WebM, magnet: URIs) through WebTorrent, with the origin as web seed: p2p-seed links each
// file to its torrent (`Link: <magnet:…>; rel="alternate"`, `<file>.torrent`) and seeds it on its tracker. Every
// test runs its own p2p-seed, so the swarm of a file holds only that test's viewers (and its seeder).

test.describe.configure({ mode: 'parallel' });

const play = { muted: true, autoplay: true } as const;
const root = (): string => process.env.P2P_TEST_ROOT!;

interface Warning {
  code: string;
  message: string;
  fatal: boolean;
}

/** A muted, autoplaying viewer whose page may register the player's service worker for the whole site. */
async function torrentViewer(browser: Browser, origin: string, attributes: Record<string, string | true>, options: ViewerOptions = {}): Promise<Viewer> {
  return viewer(browser, origin, { ...play, ...attributes }, {
    ...options,
    beforeLoad: async (page) => {
      await options.beforeLoad?.(page);
    },
  });
}

/** p2p-seed hashes progressive files when it starts: waits until `file`'s torrent is served. */
async function torrentServed(origin: string, file: string): Promise<void> {
  await expect.poll(async () => (await fetch(`${origin}/${file}.torrent`, { method: 'HEAD' })).status, { timeout: 20_000 }).toBe(200);
}

/** The info hash p2p-seed links `file` to. */
async function infoHashOf(origin: string, file: string): Promise<string> {
  const link = (await fetch(`${origin}/${file}`, { method: 'HEAD' })).headers.get('link') ?? '';
  const hash = /urn:btih:([0-9a-f]{40})/i.exec(link)?.[1];
  if (!hash) throw new Error(`no magnet in the Link header of ${file}: ${link}`);
  return hash.toLowerCase();
}

/** Waits until p2p-seed's seeder is in `file`'s swarm on its tracker, so the test's viewers find it there at once. */
async function seederJoined(origin: string, file: string): Promise<void> {
  const infoHash = await infoHashOf(origin, file);
  await expect
    .poll(
      async () => {
        const body = (await (await fetch(`${origin}/stats`)).json()) as { live?: { swarms?: { infoHash: string; peers: number }[] } };
        return body.live?.swarms?.find((s) => s.infoHash === infoHash)?.peers ?? 0;
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(1);
}

/** Seeks, noting when (page clock), so the wait of the seek itself is not taken for a stall. */
const seek = (v: Viewer, to: number): Promise<void> =>
  v.page.evaluate((to) => {
    const w = window as unknown as { __seeks?: number[] };
    (w.__seeks ??= []).push(performance.now());
    document.querySelector('p2p-video')!.media!.currentTime = to;
  }, to);

/** Stalls (see viewers.ts) apart from the waits between a seek and its `seeked`, however long the seek took. */
async function stallsBesideSeeks(v: Viewer): Promise<Wait[]> {
  const { seeks, seeked } = await v.page.evaluate(() => ({
    seeks: (window as unknown as { __seeks?: number[] }).__seeks ?? [],
    seeked: (window as unknown as { __events: { type: string; time: number }[] }).__events.filter((e) => e.type === 'seeked').map((e) => e.time),
  }));
  const landed = (start: number): number => seeked.find((t) => t >= start) ?? Infinity;
  return (await stalls(v)).stalls.filter((w) => !seeks.some((start) => w.time >= start && w.time <= landed(start) + 100));
}

const playing = (v: Viewer): Promise<void> => v.page.waitForFunction(() => (window as unknown as { __events: { type: string }[] }).__events.some((e) => e.type === 'playing'), null, { timeout: 30_000 }).then(() => undefined);

const mediaSrc = (v: Viewer): Promise<string> => v.page.evaluate(() => document.querySelector('p2p-video')!.media!.currentSrc);

const p2pDetails = (v: Viewer): Promise<EngineDetails & { mode: string }> =>
  v.page.evaluate(() => {
    const d = document.querySelector('p2p-video')!.p2pDetails();
    return { mode: d.mode, swarmId: d.swarmId, peerId: d.peerId ?? '', swarms: d.swarms, peers: d.peers };
  });

/** The file (or bytes start..end of it) as the media element gets it (through the service worker), hashed in the page. */
const streamedSha256 = (v: Viewer, range?: { start: number; end: number }): Promise<string> =>
  v.page.evaluate(async (range) => {
    const headers: Record<string, string> = range ? { Range: `bytes=${range.start}-${range.end}` } : {};
    const bytes = await (await fetch(document.querySelector('p2p-video')!.media!.currentSrc, { headers })).arrayBuffer();
    return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, range);

const sha256 = async (name: string, range?: { start: number; end: number }): Promise<string> => {
  const bytes = await readFile(join(root(), name));
  return createHash('sha256')
    .update(range ? bytes.subarray(range.start, range.end + 1) : bytes)
    .digest('hex');
};
const sizeOf = async (name: string): Promise<number> => (await readFile(join(root(), name))).length;

/** Waits until the viewer has received every byte of a file of `size` bytes (from the origin and peers together). */
async function holdsWhole(v: Viewer, size: number): Promise<void> {
  await expect.poll(async () => ((s) => s.httpBytes + s.p2pBytes)(await stats(v)), { timeout: 30_000 }).toBeGreaterThanOrEqual(size);
}

async function noErrors(...viewers: Viewer[]): Promise<void> {
  for (const v of viewers) {
    expect(await count(v, 'error'), "'error' events").toBe(0);
    expect((await details<Warning>(v, 'p2perror')).filter((w) => w.fatal)).toEqual([]);
    expect(v.errors).toEqual([]);
  }
}

test('a progressive MP4 plays from its torrent, the origin as web seed, and seeks', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    const file = 'prog-long.mp4';
    await torrentServed(origin, file);
    // Requests in the order they leave the page: the web seed's (pieces) and the media element's (to the worker).
    const requests: { to: 'origin' | 'worker'; start: number }[] = [];
    const v = await torrentViewer(browser, origin, { src: `/${file}`, controls: true }, {
      beforeLoad: async (page) => {
        page.on('request', (request) => {
          const start = Number(/^bytes=(\d+)-/.exec(request.headers().range ?? '')?.[1] ?? -1);
          if (request.url() === `${origin}/${file}` && request.method() === 'GET') requests.push({ to: 'origin', start });
          else if (request.url().includes('/webtorrent/')) requests.push({ to: 'worker', start });
        });
        // A slower origin than this machine's, so the seek below lands where nothing is downloaded yet.
        await slowOrigin(page, origin, file, 100);
      },
    });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toMatch(/\/webtorrent\/[0-9a-f]{40}-[es]\d+\/prog-long\.mp4$/);
      // The first bytes are asked of the origin at once (the head start, before the torrent is read).
      expect(requests.filter((r) => r.to === 'origin').slice(0, 3).some((r) => r.start === 0)).toBe(true);
      // Counted as the torrent takes the bytes in (playback may start sooner, from the head start's checked pieces).
      await expect.poll(async () => (await stats(v)).segmentsFromHttp).toBeGreaterThan(0);
      const s = await stats(v);
      expect(s).toMatchObject({ p2pBytes: 0, uploadBytes: 0, segmentsFromPeers: 0, rejectedSegments: 0 });
      expect(s.httpBytes).toBeGreaterThan(0);
      const d = await p2pDetails(v);
      expect(d.mode).toBe('on');
      expect(d.swarmId).toMatch(/^[0-9a-f]{40}$/);

      const before = requests.length;
      await seek(v, 45);
      await v.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 46, null, { timeout: 15_000 });
      // The media element asked for the bytes at 45 s, and the web seed was asked for those next, ahead of the rest.
      const after = requests.slice(before);
      const seekRequest = after.findIndex((r) => r.to === 'worker' && r.start > 0);
      expect(seekRequest).toBeGreaterThanOrEqual(0);
      const at = after[seekRequest].start;
      // Up to six web-seed requests may already be under way when the seek comes (twelve: slack for a loaded machine).
      const next = after.slice(seekRequest).filter((r) => r.to === 'origin').slice(0, 12);
      expect(next.some((r) => r.start <= at && at - r.start < 1024 * 1024)).toBe(true);
      expect(await v.page.evaluate(() => document.querySelector('p2p-video')!.media!.duration)).toBeCloseTo(60, 0);
      expect(await details<Warning>(v, 'p2perror')).toEqual([]);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

/** A viewer who has been here before: the player's service worker is installed and controls the site's pages. */
async function installWorker(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/harness.html`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/player/p2p-video-sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
  });
}

/** The origin answering every GET of `file` `ms` late, as a distant one would: peers on this machine are faster. */
async function slowOrigin(page: Page, origin: string, file: string, ms: number): Promise<void> {
  await page.route(`${origin}/${file}`, async (route) => {
    if (route.request().method() === 'GET') await new Promise((resolve) => setTimeout(resolve, ms));
    await route.continue();
  });
}

test('a second viewer gets bytes from the first viewer and from the seeder', async ({ browser }) => {
  test.setTimeout(120_000);
  // The seeder uploads at most 800 kB/s (ten times the file's bitrate): on this machine, unlimited, it could send
  // the second viewer the whole file before that viewer's connection to the first is up.
  await withServer({ seedLimits: { uploadLimit: 800_000 } }, async (origin) => {
    const file = 'prog-long.mp4';
    await torrentServed(origin, file);
    await seederJoined(origin, file);
    const size = await sizeOf(file);
    const viewers: Viewer[] = [];
    // The site's download counts for the file (kept across tests in the test collection).
    const views = async (): Promise<number> => {
      const body = (await (await fetch(`${origin}/stats`)).json()) as { counts: { titles: { title: string; views: number }[] } | null };
      return body.counts?.titles.find((t) => t.title === file)?.views ?? 0;
    };
    const viewsBefore = await views();
    try {
      const a = await torrentViewer(browser, origin, { src: `/${file}` });
      viewers.push(a);
      await holdsWhole(a, size);
      const b = await torrentViewer(browser, origin, { src: `/${file}` }, { beforeLoad: (page) => slowOrigin(page, origin, file, 400) });
      viewers.push(b);
      await playing(b);
      await holdsWhole(b, size);
      const sb = await stats(b);
      expect(sb.p2pBytes).toBeGreaterThan(sb.httpBytes);
      expect(sb.segmentsFromPeers).toBeGreaterThan(0);
      expect(sb.peers).toBeGreaterThanOrEqual(2);
      // Bytes from the first viewer, and the other peer is p2p-seed's seeder. Which of two peers that hold the whole
      // file sends more is WebTorrent's choice (the first viewer, in the same browser, often sends all of it before
      // the seeder's connection is up): the seeder alone feeds a viewer in the next test.
      const first = (await p2pDetails(a)).peerId;
      const peers = (await p2pDetails(b)).peers;
      await test.info().attach('peers of the second viewer', { body: JSON.stringify({ first, peers }, null, 1), contentType: 'text/plain' });
      expect(peers.find((p) => p.id === first)?.downloadedBytes ?? 0).toBeGreaterThan(0);
      expect(peers.filter((p) => p.id !== first).map((p) => p.seeder)).toEqual([true]);
      expect((await stats(a)).uploadBytes).toBeGreaterThan(0);
      expect(await count(b, 'p2ppeerconnect')).toBeGreaterThanOrEqual(2);
      expect(await streamedSha256(b)).toBe(await sha256(file));
      expect(await stallsBesideSeeks(b)).toEqual([]);
      // Each viewer told the site's beacon (linked from the file's response): two more views of the file.
      await expect.poll(views, { timeout: 10_000 }).toBeGreaterThanOrEqual(viewsBefore + 2);
      await noErrors(a, b);
    } finally {
      await closeAll(viewers);
    }
  });
});

test('the origin refusing the file (503): playback comes from the swarm', async ({ browser }) => {
  test.setTimeout(90_000);
  await withServer({}, async (origin) => {
    const file = 'prog-long.mp4';
    await torrentServed(origin, file);
    await seederJoined(origin, file);
    let refused = 0;
    const v = await torrentViewer(browser, origin, { src: `/${file}` }, {
      beforeLoad: async (page) => {
        // HEAD (with the Link header) and the .torrent are answered; every GET of the file itself, the head start
        // included, is refused, so the first pieces the video needs are asked of the origin, refused, and must then
        // be asked of the seeder.
        await page.route(`${origin}/${file}`, async (route) => {
          if (route.request().method() !== 'GET') return route.continue();
          refused += 1;
          await route.fulfill({ status: 503, body: 'overloaded' });
        });
      },
    });
    try {
      await playing(v);
      await holdsWhole(v, await sizeOf(file));
      expect(refused).toBeGreaterThan(1);
      const s = await stats(v);
      expect(s.httpBytes).toBe(0);
      // Its only peer is p2p-seed's seeder, and every byte came from it.
      const peers = (await p2pDetails(v)).peers;
      expect(peers.map((p) => p.seeder)).toEqual([true]);
      expect(peers[0].downloadedBytes).toBe(s.p2pBytes);
      await seek(v, 57);
      await v.page.waitForFunction(() => (window as unknown as { __events: { type: string }[] }).__events.some((e) => e.type === 'ended'), null, { timeout: 20_000 });
      expect(await streamedSha256(v)).toBe(await sha256(file));
      expect(await stallsBesideSeeks(v)).toEqual([]);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('a file without torrent metadata plays over HTTP, as <video src> would', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const v = await torrentViewer(browser, origin, { src: '/prog.mp4' }, {
      beforeLoad: async (page) => {
        await page.route(`${origin}/prog.mp4.torrent`, (route) => route.fulfill({ status: 404, body: 'not found' }));
        await page.route(`${origin}/prog.mp4`, async (route) => {
          const response = await route.fetch();
          const headers = response.headers();
          delete headers.link;
          await route.fulfill({ response, headers });
        });
      },
    });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toBe(`${origin}/prog.mp4`);
      await v.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 1.5);
      expect(await v.page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
      expect(await details<Warning>(v, 'p2perror')).toEqual([]);
      expect((await p2pDetails(v)).mode).toBe('off');
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('on a first visit the service worker installs while the origin is asked about the file, not after', async ({ browser }) => {
  await withServer({}, async (origin) => {
    const file = 'prog.mp4';
    await torrentServed(origin, file);
    let installedFirst: boolean | undefined;
    const v = await torrentViewer(browser, origin, { src: `/${file}` }, {
      beforeLoad: async (page) => {
        // The origin's answer about the file (the HEAD naming its torrent) is held until the page's worker controls
        // it, or for 3 s (the player gives up on it after 5): a worker registered only once the torrent is known
        // would never get there first.
        await page.route(`${origin}/${file}`, async (route) => {
          if (route.request().method() !== 'HEAD') return route.continue();
          installedFirst ??= await page
            .waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 3000 })
            .then(() => true, () => false);
          await route.continue();
        });
      },
    });
    try {
      await playing(v);
      expect(installedFirst).toBe(true);
      expect(await mediaSrc(v)).toMatch(/\/webtorrent\//);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('a torrent that never gets ready: the video, given the stream at once, goes over HTTP with no error', async ({ browser }) => {
  test.setTimeout(60_000);
  // The origin links a torrent whose metadata nobody can give: no .torrent, no seeder, no other viewer.
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const v = await torrentViewer(browser, origin, { src: '/prog.mp4' }, {
      beforeLoad: async (page) => {
        await page.route(`${origin}/prog.mp4.torrent`, (route) => route.fulfill({ status: 404, body: 'not found' }));
      },
    });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toBe(`${origin}/prog.mp4`);
      const warnings = await details<Warning>(v, 'p2perror');
      expect(warnings.map((w) => w.code)).toEqual(['ERR_P2P_UNAVAILABLE']);
      expect(warnings[0].message).toMatch(/not ready within 10 s/);
      await v.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 1.5);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

for (const [which, nth, returning] of [
  ['the head start (the first bytes, asked before the torrent is read)', 1, false],
  // Its worker already there, a returning viewer plays the head start's pieces as they check out, before WebTorrent runs.
  ['the head start of a returning viewer', 1, true],
  ['a piece the web seed sends', 4, false],
] as const) {
  test(`a corrupted piece in ${which} is dropped, fetched again and never played`, async ({ browser }) => {
    test.setTimeout(90_000);
    await withServer({ seed: false }, async (origin) => {
      const file = 'prog-long.mp4';
      await torrentServed(origin, file);
      const ranges: string[] = [];
      let corrupted = '';
      let flipped = -1;
      const v = await torrentViewer(browser, origin, { src: `/${file}` }, {
        beforeLoad: async (page) => {
          if (returning) await installWorker(page, origin);
          await page.route(`${origin}/${file}`, async (route) => {
            if (route.request().method() !== 'GET') return route.continue();
            const range = route.request().headers().range ?? '';
            ranges.push(range);
            if (ranges.length !== nth) return route.continue();
            // One byte flipped: in the head start's second piece (the first ones to arrive are the ones used even
            // when it is late), else in the middle of the piece.
            const response = await route.fetch();
            const body = Buffer.from(await response.body());
            const at = nth === 1 ? 100_000 : body.length >> 1;
            body[at] ^= 0xff;
            flipped = Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? 0) + at;
            corrupted = range;
            await route.fulfill({ response, body });
          });
        },
      });
      try {
        await playing(v);
        // A returning viewer's video was given the stream before the torrent was ready.
        if (returning) expect(await mediaSrc(v)).toMatch(/\/webtorrent\/[0-9a-f]{40}-e\d+\//);
        // No peers: the origin is asked for what the video reads next, the bad piece among it, and again for it.
        const askedAgain = (): boolean =>
          ranges.slice(nth).some((r) => {
            const [from, to] = r.replace('bytes=', '').split('-').map(Number);
            return from <= flipped && flipped <= to;
          });
        await expect.poll(askedAgain, { timeout: 30_000 }).toBe(true);
        expect(corrupted).not.toBe('');
        // The SHA-1 check caught it, it was counted and reported.
        await expect.poll(async () => (await stats(v)).rejectedSegments, { timeout: 10_000 }).toBe(1);
        const warnings = await details<Warning>(v, 'p2perror');
        expect(warnings.map((w) => [w.code, w.fatal])).toEqual([['ERR_HTTP_INTEGRITY', false]]);
        // What the media element is given there is the file, byte for byte, and it plays to the end.
        const around = { start: Math.max(0, flipped - 70_000), end: flipped + 70_000 };
        expect(await streamedSha256(v, around)).toBe(await sha256(file, around));
        await seek(v, 57);
        await v.page.waitForFunction(() => (window as unknown as { __events: { type: string }[] }).__events.some((e) => e.type === 'ended'), null, { timeout: 20_000 });
        await noErrors(v);
      } finally {
        await closeAll([v]);
      }
    });
  });
}

test('p2p="download-only" takes from the torrent and never uploads', async ({ browser }) => {
  test.setTimeout(90_000);
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const size = await sizeOf('prog.mp4');
    const viewers: Viewer[] = [];
    try {
      const a = await torrentViewer(browser, origin, { src: '/prog.mp4', p2p: 'download-only' });
      viewers.push(a);
      await holdsWhole(a, size);
      expect((await p2pDetails(a)).mode).toBe('download-only');
      const b = await torrentViewer(browser, origin, { src: '/prog.mp4' }, { beforeLoad: (page) => slowOrigin(page, origin, 'prog.mp4', 200) });
      viewers.push(b);
      await expect.poll(() => count(b, 'p2ppeerconnect'), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      await holdsWhole(b, size);
      expect((await stats(a)).uploadBytes).toBe(0);
      expect((await stats(b)).p2pBytes).toBe(0);
      await noErrors(a, b);
    } finally {
      await closeAll(viewers);
    }
  });
});

test('p2p="off" plays the file over HTTP, loads no WebTorrent, and still reports to the site\'s beacon', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const requests: string[] = [];
    const beacons: { event: string; src: string }[] = [];
    const v = await torrentViewer(browser, origin, { src: '/prog.mp4', p2p: 'off' }, {
      beforeLoad: async (page) => {
        page.on('request', (request) => {
          requests.push(request.url());
          if (request.url() === `${origin}/beacon`) beacons.push(JSON.parse(request.postData() ?? '{}'));
        });
      },
    });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toBe(`${origin}/prog.mp4`);
      // The beacon p2p-seed links from the file's response, as with P2P on: the viewing counts.
      await expect.poll(() => beacons.map((b) => `${b.event} ${b.src}`)).toContain(`start ${origin}/prog.mp4`);
      expect(requests.filter((url) => /p2p-video-(webtorrent|sw)\.js|\.torrent$/.test(url))).toEqual([]);
      expect(await v.page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
      expect(await stats(v)).toMatchObject({ p2pBytes: 0, peers: 0, uploadBytes: 0 });
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('preload="none" fetches nothing, not even the torrent, until the viewer presses play', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const requests: string[] = [];
    // Not torrentViewer(): no autoplay.
    const v = await viewer(browser, origin, { src: '/prog.mp4', preload: 'none', muted: true }, {
      beforeLoad: async (page) => {
          page.on('request', (request) => requests.push(request.url()));
      },
    });
    try {
      await v.page.waitForTimeout(1500);
      expect(requests.filter((url) => url.includes('/prog.mp4'))).toEqual([]);
      await v.page.evaluate(() => void document.querySelector('p2p-video')!.media!.play());
      await playing(v);
      expect(await mediaSrc(v)).toContain('/webtorrent/');
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('the tracker attribute replaces the torrent\'s trackers', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.mp4');
    const announces: string[] = [];
    const v = await torrentViewer(browser, origin, { src: '/prog.mp4', tracker: 'ws://127.0.0.1:9/announce' }, {
      beforeLoad: async (page) => {
        page.on('websocket', (socket) => announces.push(socket.url()));
      },
    });
    try {
      await playing(v);
      await expect.poll(() => details<Warning>(v, 'p2perror').then((w) => w.map((x) => x.code))).toContain('ERR_TRACKER_UNREACHABLE');
      expect(announces.length).toBeGreaterThan(0);
      expect(announces.every((url) => url.startsWith('ws://127.0.0.1:9/'))).toBe(true);
      expect((await p2pDetails(v)).swarms[0].trackers.map((t) => t.url)).toEqual(['ws://127.0.0.1:9/announce']);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('a magnet URI plays (a WebM): metadata from its xs, bytes from its web seed', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog.webm');
    const link = (await fetch(`${origin}/prog.webm`, { method: 'HEAD' })).headers.get('link') ?? '';
    const magnet = /<(magnet:[^>]+)>/.exec(link)?.[1];
    expect(magnet).toBeDefined();
    const v = await torrentViewer(browser, origin, { src: magnet! });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toMatch(/\/webtorrent\/[0-9a-f]{40}-s\d+\/prog\.webm$/);
      expect(await v.page.evaluate(() => document.querySelector('p2p-video')!.media!.duration)).toBeCloseTo(8, 0);
      await expect.poll(async () => (await stats(v)).httpBytes).toBeGreaterThan(50_000);
      expect(await details<Warning>(v, 'p2perror')).toEqual([]);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('an MP4 with its index at the end plays and seeks', async ({ browser }) => {
  await withServer({ seed: false }, async (origin) => {
    await torrentServed(origin, 'prog-tail.mp4');
    const v = await torrentViewer(browser, origin, { src: '/prog-tail.mp4' });
    try {
      await playing(v);
      expect(await mediaSrc(v)).toContain('/webtorrent/');
      await seek(v, 12);
      await v.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.currentTime > 13, null, { timeout: 15_000 });
      expect(await details<Warning>(v, 'p2perror')).toEqual([]);
      await noErrors(v);
    } finally {
      await closeAll([v]);
    }
  });
});

test('an HLS page loads no WebTorrent and registers no service worker', async ({ browser, origin }) => {
  const requests: string[] = [];
  const v = await viewer(browser, origin, { src: '/demo/master.m3u8', ...play }, {
    beforeLoad: async (page) => {
      page.on('request', (request) => requests.push(request.url()));
    },
  });
  try {
    await playing(v);
    expect(requests.filter((url) => /p2p-video-(webtorrent|sw)\.js/.test(url))).toEqual([]);
    expect(await v.page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  } finally {
    await closeAll([v]);
  }
});
