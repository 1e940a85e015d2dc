import type { Page } from '@playwright/test';
import { startServer, type RunningServer, type ServerOptions } from '../../server-seed/src/server.ts';
import { startFaultPeer } from './fault-peer.ts';
import { expect, test } from './fixtures.ts';
import { startSeederProcess } from './seeder-process.ts';
import { closeAll, count, currentTime, details, playsTo, stalls, stats, viewer, type Viewer } from './viewers.ts';

// Faults while viewers play: each test runs its own p2p-seed on the test collection and asserts, through the
// media events, that no viewer stalls.

test.describe.configure({ mode: 'parallel' });

const root = (): string => process.env.P2P_TEST_ROOT!;

/** A p2p-seed of the test's own (open tracker: viewers may name swarms of their own). */
const serve = (options: Partial<ServerOptions> = {}): Promise<RunningServer> => startServer({ root: root(), port: 0, openTracker: true, ...options });

const originOf = (server: RunningServer): string => server.url.replace(/\/$/, '');

const play = { muted: true, autoplay: true } as const;

interface Warning {
  code: string;
  fatal: boolean;
}

/** What every fault test ends with: no stall, no error, only non-fatal warnings, no uncaught exception. */
async function playedCleanly(...viewers: Viewer[]): Promise<void> {
  for (const v of viewers) {
    expect((await stalls(v)).stalls, 'stalls (waiting with no media buffered ahead)').toEqual([]);
    expect(await count(v, 'error'), "'error' events").toBe(0);
    expect((await details<Warning>(v, 'p2perror')).filter((w) => w.fatal)).toEqual([]);
    expect(v.errors).toEqual([]);
  }
}

test('the tracker killed mid-playback: playback and connected peers go on, and viewers rejoin when it returns', async ({ browser }) => {
  test.setTimeout(90_000);
  const origin = await serve({ seed: false });
  // The viewers' tracker runs apart from the origin, so it can be stopped and started again on the same port.
  let tracker = await serve({ seed: false, swarmMetadata: false });
  const port = tracker.port;
  const viewers: Viewer[] = [];
  try {
    const attrs = { src: '/demo/master.m3u8', ...play, tracker: `ws://127.0.0.1:${port}/announce` };
    const a = await viewer(browser, originOf(origin), attrs, { onlyHeight: 240 });
    viewers.push(a);
    await expect.poll(async () => (await stats(a)).segmentsFromHttp, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    const b = await viewer(browser, originOf(origin), attrs, { onlyHeight: 240, bufferSeconds: 8 });
    viewers.push(b);
    await expect.poll(async () => (await stats(b)).segmentsFromPeers, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);

    await tracker.close();
    const atKill = await stats(b);
    const closesAtKill = await count(b, 'p2ppeerclose');
    const timeAtKill = await currentTime(b);
    expect(timeAtKill).toBeLessThan(18); // so the rest of the title is still to be fetched, peers or not
    // The viewers notice (a warning, not an error) and keep the peer they have.
    await expect.poll(async () => (await details<Warning>(b, 'p2perror')).map((w) => w.code), { timeout: 10_000 }).toContain('ERR_TRACKER_UNREACHABLE');
    await expect.poll(async () => (await stats(b)).segmentsFromPeers, { timeout: 15_000 }).toBeGreaterThan(atKill.segmentsFromPeers);
    expect(await count(b, 'p2ppeerclose')).toBe(closesAtKill);
    expect((await stats(b)).peers).toBeGreaterThanOrEqual(1);

    tracker = await serve({ seed: false, swarmMetadata: false, port });
    // Both reconnect and announce again: the new tracker counts both in a swarm.
    await expect
      .poll(() => Math.max(0, ...tracker.tracker!.swarms().map((s) => s.peers)), { timeout: 25_000, message: 'viewers back in the tracker' })
      .toBeGreaterThanOrEqual(2);
    // A viewer who arrives now finds them through it.
    const c = await viewer(browser, originOf(origin), attrs, { onlyHeight: 240, bufferSeconds: 8 });
    viewers.push(c);
    await expect.poll(async () => (await stats(c)).segmentsFromPeers, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);

    await playsTo(b, 27);
    await playedCleanly(a, b, c);
  } finally {
    await closeAll(viewers);
    await Promise.all([origin.close(), tracker.close()]);
  }
});

test('the seeder killed and restarted mid-playback: no stall, and segments come from the new seeder', async ({ browser }) => {
  test.setTimeout(120_000);
  // The origin seeds nothing itself: the seeder runs in a process of its own, killed (SIGKILL: its peers are told
  // nothing, as when a server crashes or is restarted) and started again.
  const origin = await serve({ seed: false });
  const trackerUrl = `ws://127.0.0.1:${origin.port}/announce`;
  let seeder = await startSeederProcess(root(), trackerUrl);
  let v: Viewer | undefined;
  try {
    v = await viewer(browser, originOf(origin), { src: '/seeded/master.m3u8', ...play }, { ownSwarm: false, bufferSeconds: 10 });
    const w = v;
    await expect.poll(async () => (await stats(w)).segmentsFromPeers, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    expect(await currentTime(w)).toBeLessThan(25);

    await seeder.kill();
    // Bytes already on their way when it died have arrived by now; nothing more can.
    await w.page.waitForTimeout(500);
    const atKill = await stats(w);
    // The viewer keeps asking the silent seeder until its transfers time out, and finishes those over HTTP.
    await expect.poll(async () => (await stats(w)).segmentsFromHttp, { timeout: 15_000 }).toBeGreaterThan(atKill.segmentsFromHttp);
    expect((await stats(w)).segmentsFromPeers).toBe(atKill.segmentsFromPeers);
    seeder = await startSeederProcess(root(), trackerUrl);
    // Found again when the viewer next announces (it keeps announcing while it has room for peers).
    await expect.poll(async () => (await stats(w)).segmentsFromPeers, { timeout: 40_000 }).toBeGreaterThan(atKill.segmentsFromPeers);
    await w.page.waitForFunction(() => document.querySelector('p2p-video')!.media!.ended, undefined, { timeout: 60_000 });
    await playedCleanly(w);
  } finally {
    await closeAll([v]);
    await seeder.kill();
    await origin.close();
  }
});

test('the origin answering 503 for some segments: retried, from the seeder or the origin, with no stall', async ({ browser }) => {
  test.setTimeout(90_000);
  const origin = await serve();
  const viewers: Viewer[] = [];
  /** Answers 503 to the requests of a segment `refuse` picks, by its number and how often it was asked for. */
  const overloaded = (refuse: (sn: number, attempt: number) => boolean) => {
    const asked = new Map<number, number[]>();
    return {
      asked,
      route: async (page: Page) => {
        await page.route('**/seeded/**/seg-*.m4s', async (route) => {
          const sn = Number(/seg-(\d+)\.m4s/.exec(route.request().url())![1]);
          const attempt = asked.get(sn)?.length ?? 0;
          const status = refuse(sn, attempt) ? 503 : 200;
          asked.set(sn, [...(asked.get(sn) ?? []), status]);
          if (status === 503) await route.fulfill({ status, body: 'overloaded' });
          else await route.continue();
        });
      },
    };
  };
  try {
    // With the seeder in its swarm: every even segment is refused every time; the player gets those from it.
    const even = overloaded((sn) => sn % 2 === 0);
    const seeded = await viewer(browser, originOf(origin), { src: '/seeded/master.m3u8', ...play }, { ownSwarm: false, bufferSeconds: 10, beforeLoad: even.route });
    viewers.push(seeded);
    // Alone in a swarm of its own: every odd segment is refused at the first try; the retry gets it.
    const odd = overloaded((sn, attempt) => sn % 2 === 1 && attempt === 0);
    const alone = await viewer(browser, originOf(origin), { src: '/seeded/master.m3u8', ...play }, { bufferSeconds: 10, beforeLoad: odd.route });
    viewers.push(alone);

    await Promise.all([playsTo(seeded, 30), playsTo(alone, 30)]);
    // Even segments were asked of the origin (the first one at least, before the seeder is connected) and always
    // refused: every one played came from the seeder.
    const evenStatuses = [...even.asked.entries()].filter(([sn]) => sn % 2 === 0).flatMap(([, s]) => s);
    expect(evenStatuses.length).toBeGreaterThanOrEqual(1);
    expect(evenStatuses).not.toContain(200);
    const s = await stats(seeded);
    expect(s.segmentsFromPeers).toBeGreaterThanOrEqual(4);
    expect(s.rejectedSegments).toBe(0);

    // Segments 1, 3, 5 and 7 (4 s each) were played by 30 s: each was refused once, then served.
    for (const sn of [1, 3, 5, 7]) expect(odd.asked.get(sn), `segment ${sn}`).toEqual([503, 200]);
    expect((await stats(alone)).segmentsFromPeers).toBe(0);
    await playedCleanly(seeded, alone);
  } finally {
    await closeAll(viewers);
    await origin.close();
  }
});

test("a peer's connection dropped in the middle of a segment: the rest comes over HTTP with a Range request, no stall", async ({ browser }) => {
  test.setTimeout(90_000);
  // No seeder: the fragile peer is the only one.
  const origin = await serve({ seed: false });
  const peer = await startFaultPeer({ root: root(), src: '/seeded/master.m3u8', trackerUrl: `ws://127.0.0.1:${origin.port}/announce`, dropConnections: 3 });
  let v: Viewer | undefined;
  try {
    const ranges: { url: string; range: string }[] = [];
    v = await viewer(browser, originOf(origin), { src: '/seeded/master.m3u8', ...play }, {
      ownSwarm: false,
      bufferSeconds: 10,
      beforeLoad: async (page) =>
        void page.on('request', (r) => {
          const range = r.headers().range;
          if (range && r.url().endsWith('.m4s')) ranges.push({ url: r.url(), range });
        }),
    });
    const w = v;
    await expect.poll(() => peer.drops.length, { timeout: 45_000, message: 'connections the peer dropped' }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => count(w, 'p2ppeerclose'), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // At least one cut transfer was one the player was waiting for: it asked the origin for exactly the rest.
    const resumed = peer.drops.filter((d) => ranges.some((r) => r.url.endsWith(`/${d.file}`) && r.range === `bytes=${d.sent}-${d.total - 1}`));
    expect(resumed.length, `drops ${JSON.stringify(peer.drops)}, ranges ${JSON.stringify(ranges)}`).toBeGreaterThanOrEqual(1);
    // The peer serves honestly after its last drop, and the viewer comes back to it.
    const afterDrops = (await stats(w)).segmentsFromPeers;
    await playsTo(w, 40);
    expect((await stats(w)).segmentsFromPeers).toBeGreaterThan(afterDrops);
    const s = await stats(w);
    expect(s.rejectedSegments).toBe(0);
    expect(s.bannedPeers).toBe(0);
    await playedCleanly(w);
  } finally {
    await closeAll([v]);
    peer.close();
    await origin.close();
  }
});
