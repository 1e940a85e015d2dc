import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../../../server-seed/src/index.ts';
import type { RunningServer, ServerOptions } from '../../../../server-seed/src/index.ts';
import { bytes, makeTempDir, mediaPlaylist, removeDir, writeTree } from '../helpers.ts';

const MULTIVARIANT = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360\nlow/index.m3u8\n';

/** Two hand-made titles: "film" (two segments below a rendition folder) and "other" (one). */
const COLLECTION = {
  'root/film/master.m3u8': MULTIVARIANT,
  'root/film/low/index.m3u8': mediaPlaylist([['seg0.m4s', 4], ['seg1.m4s', 4]]),
  'root/film/low/seg0.m4s': bytes(1000),
  'root/film/low/seg1.m4s': bytes(2000),
  'root/other/master.m3u8': MULTIVARIANT.replace('low/', 'v/'),
  'root/other/v/index.m3u8': mediaPlaylist([['s0.m4s', 4]]),
  'root/other/v/s0.m4s': bytes(500),
};

let dir: string;
let db: string;
const servers: RunningServer[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
  db = path.join(dir, 'counts', 'counts.db');
  await writeTree(dir, COLLECTION);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((running) => running.close()));
  await removeDir(dir);
});

async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const running = await startServer({
    root: path.join(dir, 'root'),
    port: 0,
    seed: false,
    playerDir: path.join(dir, 'player'),
    examplesDir: path.join(dir, 'examples'),
    counts: { path: db, beaconsPerMinute: 100_000 },
    ...options,
  });
  servers.push(running);
  return running;
}

interface Totals {
  views: number;
  watchSeconds: number;
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  originBytes: number;
  seederUploadBytes: number;
  bytesSavedByPeers: number;
  peerShare: number;
}
interface Stats {
  origin: { segmentBytes: number; segmentRequests: number };
  counts: { totals: Totals; titles: (Totals & { title: string })[]; days: (Totals & { day: string })[] } | null;
  live: { swarms: { infoHash: string; title: string | null; rendition: string | null; peers: number }[] };
}

const stats = async (running: RunningServer): Promise<Stats> => (await fetch(new URL('/stats', running.url))).json() as Promise<Stats>;

let sessions = 0;
/** A beacon body for `title` ("film" or "other"), with a fresh session unless one is given. */
function beacon(running: RunningServer, fields: Record<string, unknown> = {}, title = 'film'): Record<string, unknown> {
  sessions += 1;
  return {
    v: 1,
    session: `test-session-${String(sessions).padStart(8, '0')}`,
    event: 'progress',
    src: new URL(`/${title}/master.m3u8`, running.url).href,
    rendition: 'low/index.m3u8',
    httpBytes: 0,
    p2pBytes: 0,
    uploadBytes: 0,
    watchSeconds: 0,
    played: true,
    ...fields,
  };
}

/** POSTs a beacon as navigator.sendBeacon does (a text/plain body). */
async function post(running: RunningServer, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL('/beacon', running.url), {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const ZERO: Totals = {
  views: 0,
  watchSeconds: 0,
  httpBytes: 0,
  p2pBytes: 0,
  uploadBytes: 0,
  originBytes: 0,
  seederUploadBytes: 0,
  bytesSavedByPeers: 0,
  peerShare: 0,
};

describe('POST /beacon and the counts in /stats', () => {
  it('counts one view per session over all its beacons, and keeps counting the same after a restart', async () => {
    const running = await serve();
    expect((await stats(running)).counts).toEqual({ totals: ZERO, titles: [], days: [] });
    const first = beacon(running, { event: 'start', played: true, httpBytes: 1000 });
    expect(await post(running, first)).toEqual({ status: 204, text: '' });
    expect(await post(running, { ...first, event: 'progress', httpBytes: 1000, p2pBytes: 3000, uploadBytes: 500, watchSeconds: 30 })).toMatchObject({ status: 204 });
    expect(await post(running, { ...first, event: 'end', httpBytes: 1000, p2pBytes: 5000, uploadBytes: 700, watchSeconds: 42.5 })).toMatchObject({ status: 204 });
    // A second viewer that loaded the page but never played: no view, its bytes still count.
    expect(await post(running, beacon(running, { event: 'end', played: false, httpBytes: 200 }))).toMatchObject({ status: 204 });
    // A third, of the other title, entirely from peers: a download all the same.
    expect(await post(running, beacon(running, { p2pBytes: 500 }, 'other'))).toMatchObject({ status: 204 });

    const today = new Date().toISOString().slice(0, 10);
    const film = { views: 1, watchSeconds: 42.5, httpBytes: 1200, p2pBytes: 5000, uploadBytes: 700, originBytes: 0, seederUploadBytes: 0, bytesSavedByPeers: 5000, peerShare: 5000 / 6200 };
    const other = { ...ZERO, views: 1, p2pBytes: 500, bytesSavedByPeers: 500, peerShare: 1 };
    const totals = { ...film, views: 2, p2pBytes: 5500, bytesSavedByPeers: 5500, peerShare: 5500 / 6700 };
    const expected = { totals, titles: [{ title: 'film', ...film }, { title: 'other', ...other }], days: [{ day: today, ...totals }] };
    expect((await stats(running)).counts).toEqual(expected);

    await running.close();
    const again = await serve();
    expect((await stats(again)).counts).toEqual(expected);
    // The same session after the restart: known, nothing added.
    expect(await post(again, { ...first, event: 'end', httpBytes: 1000, p2pBytes: 5000, uploadBytes: 700, watchSeconds: 42.5 })).toMatchObject({ status: 204 });
    expect((await stats(again)).counts).toEqual(expected);
    // A new session after the restart counts one more.
    await post(again, beacon(again));
    expect((await stats(again)).counts?.totals.views).toBe(3);
  });

  it('never double counts replayed or out-of-order beacons', async () => {
    const running = await serve();
    const session = beacon(running, { played: false });
    const reports = [
      { httpBytes: 100, p2pBytes: 0, watchSeconds: 1, played: false },
      { httpBytes: 400, p2pBytes: 600, watchSeconds: 10, played: true },
      { httpBytes: 400, p2pBytes: 900, watchSeconds: 20, played: true },
    ].map((fields) => ({ ...session, ...fields }));
    // Out of order, each twice, and the oldest last.
    for (const body of [reports[1], reports[2], reports[1], reports[2], reports[0], reports[0]]) {
      expect((await post(running, body)).status).toBe(204);
    }
    expect((await stats(running)).counts?.totals).toMatchObject({ views: 1, httpBytes: 400, p2pBytes: 900, watchSeconds: 20 });
  });

  it('refuses malformed beacons with 400 and a reason, and stores nothing', async () => {
    const running = await serve();
    await post(running, beacon(running, { httpBytes: 10 }));
    const before = await stats(running);
    const cases: [unknown, RegExp][] = [
      ['{"v":1,"session":', /not JSON/],
      ['', /not JSON/],
      [[beacon(running)], /not a JSON object/],
      [beacon(running, { httpBytes: '10' }), /"httpBytes"/],
      [beacon(running, { p2pBytes: -5 }), /"p2pBytes"/],
      [beacon(running, { played: 1 }), /"played"/],
      [beacon(running, { session: 'x' }), /"session"/],
      [beacon(running, { watchSeconds: Number.MAX_VALUE }), /"watchSeconds"/],
      [beacon(running, { src: 'not a url' }), /"src"/],
      [beacon(running, { src: new URL('/nothing/master.m3u8', running.url).href }), /unknown video/],
      [beacon(running, { src: new URL('/film/low/index.m3u8', running.url).href }), /unknown video/],
      [{ ...beacon(running), padding: 'x'.repeat(5 * 1024) }, /larger than 4096 bytes/],
    ];
    for (const [body, message] of cases) {
      const res = await post(running, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.text).toMatch(message);
    }
    expect((await stats(running)).counts).toEqual(before.counts);
  });

  it('stops reading a body without a length once it passes 4 KiB', async () => {
    const running = await serve();
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: running.port, path: '/beacon', method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // 5 KiB, then the request stays open: the answer must not wait for its end.
      req.write(`{"v":1,"pad":"${'x'.repeat(5 * 1024)}`);
    });
    expect(result.status).toBe(400);
    expect(result.body).toMatch(/larger than 4096 bytes/);
    expect((await stats(running)).counts?.totals).toEqual(ZERO);
  });

  it('counts every one of 200 concurrent beacons', async () => {
    const running = await serve();
    const results = await Promise.all(Array.from({ length: 200 }, () => post(running, beacon(running, { httpBytes: 10, watchSeconds: 1 }))));
    expect(results.filter((res) => res.status === 204)).toHaveLength(200);
    expect((await stats(running)).counts?.totals).toMatchObject({ views: 200, httpBytes: 2000, watchSeconds: 200 });
  });

  it('answers 429 beyond the per-address rate limit', async () => {
    const running = await serve({ counts: { path: db, beaconsPerMinute: 3 } });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await post(running, beacon(running))).status);
    expect(statuses).toEqual([204, 204, 204, 429, 429]);
    expect((await stats(running)).counts?.totals.views).toBe(3);
  });

  it('answers 405 to other methods on /beacon', async () => {
    const running = await serve();
    const res = await fetch(new URL('/beacon', running.url));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe("the site's own bytes per title", () => {
  it('attributes origin segment bytes to the title whose folder holds them', async () => {
    const running = await serve();
    for (const file of ['/film/low/seg0.m4s', '/film/low/seg1.m4s', '/film/low/seg1.m4s', '/other/v/s0.m4s', '/film/master.m3u8']) {
      const res = await fetch(new URL(file, running.url));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // A range request counts what it sent.
    await (await fetch(new URL('/other/v/s0.m4s', running.url), { headers: { Range: 'bytes=0-99' } })).arrayBuffer();
    const result = await stats(running);
    expect(result.origin).toEqual({ segmentBytes: 5600, segmentRequests: 5 });
    const origin = Object.fromEntries(result.counts!.titles.map((row) => [row.title, row.originBytes]));
    expect(origin).toEqual({ film: 5000, other: 600 });
    expect(result.counts?.totals.originBytes).toBe(5600);
    // Written to the store, not only held in memory: a restart keeps them.
    await running.close();
    expect((await stats(await serve())).counts?.totals.originBytes).toBe(5600);
  });

  it("attributes the seeder's uploads to their title, and peers' savings are what the seeder did not send", async () => {
    const running = await serve();
    running.counts!.addSeederUpload('/film/master.m3u8', 3000);
    running.counts!.addSeederUpload('https://elsewhere.example/mirrored/master.m3u8', 999);
    await post(running, beacon(running, { httpBytes: 1000, p2pBytes: 4000 }));
    const film = (await stats(running)).counts?.titles.find((row) => row.title === 'film');
    expect(film).toMatchObject({ seederUploadBytes: 3000, p2pBytes: 4000, bytesSavedByPeers: 1000, peerShare: 0.8 });
    expect((await stats(running)).counts?.totals.seederUploadBytes).toBe(3000);
  });
});

/** Prometheus text: value by "name{label="v",…}" with labels sorted, as prom-client writes them. */
function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    values.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return values;
}

describe('GET /metrics', () => {
  it('serves Prometheus text whose numbers match /stats', async () => {
    const running = await serve();
    await post(running, beacon(running, { httpBytes: 1000, p2pBytes: 3000, uploadBytes: 200, watchSeconds: 12.5 }));
    await post(running, beacon(running, { p2pBytes: 100 }, 'other'));
    await (await fetch(new URL('/film/low/seg0.m4s', running.url))).arrayBuffer();
    running.counts!.addSeederUpload('/film/master.m3u8', 1000);

    const res = await fetch(new URL('/metrics', running.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const metrics = parsePrometheus(text);
    expect(text).toContain('# TYPE p2p_seed_views_total counter');
    expect(metrics.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);

    const counts = (await stats(running)).counts!;
    expect(counts.titles.map((row) => row.title)).toEqual(['film', 'other']);
    for (const row of counts.titles) {
      const label = `title="${row.title}"`;
      expect(metrics.get(`p2p_seed_views_total{${label}}`)).toBe(row.views);
      expect(metrics.get(`p2p_seed_watch_seconds_total{${label}}`)).toBe(row.watchSeconds);
      expect(metrics.get(`p2p_seed_viewer_bytes_total{${label},source="http"}`)).toBe(row.httpBytes);
      expect(metrics.get(`p2p_seed_viewer_bytes_total{${label},source="p2p"}`)).toBe(row.p2pBytes);
      expect(metrics.get(`p2p_seed_viewer_bytes_total{${label},source="upload"}`)).toBe(row.uploadBytes);
      expect(metrics.get(`p2p_seed_origin_bytes_total{${label}}`)).toBe(row.originBytes);
      expect(metrics.get(`p2p_seed_seeder_upload_bytes_total{${label}}`)).toBe(row.seederUploadBytes);
      expect(metrics.get(`p2p_seed_bytes_saved_by_peers_total{${label}}`)).toBe(row.bytesSavedByPeers);
    }
    expect(metrics.get('p2p_seed_origin_bytes_total{title="film"}')).toBe(1000);
    expect(metrics.get('p2p_seed_bytes_saved_by_peers_total{title="film"}')).toBe(2000);
  });
});

describe('live swarms', () => {
  it('names the viewers of each swarm by title and rendition, in /stats and /metrics', async () => {
    const running = await serve();
    const { swarmId } = JSON.parse(await readFile(path.join(dir, 'root/film/swarm.json'), 'utf8')) as { swarmId: string };
    const hash = createHash('sha1').update(`${swarmId}\nlow/index.m3u8`).digest();
    const socket = new WebSocket(`ws://127.0.0.1:${running.port}/announce`);
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const reply = new Promise((resolve) => socket.once('message', resolve));
      socket.send(JSON.stringify({ action: 'announce', info_hash: hash.toString('latin1'), peer_id: 'p'.repeat(20), numwant: 0, offers: [], event: 'started' }));
      await reply;
      expect((await stats(running)).live).toEqual({ swarms: [{ infoHash: hash.toString('hex'), title: 'film', rendition: 'low/index.m3u8', peers: 1 }] });
      const metrics = parsePrometheus(await (await fetch(new URL('/metrics', running.url))).text());
      expect(metrics.get(`p2p_seed_swarm_peers{swarm="${hash.toString('hex')}",title="film"}`)).toBe(1);
    } finally {
      socket.terminate();
    }
  });
});

describe('without counts', () => {
  it('answers 404 to beacons, shows counts: null, and still serves /metrics', async () => {
    const running = await serve({ counts: false });
    const res = await post(running, beacon(running));
    expect(res.status).toBe(404);
    const result = await stats(running);
    expect(result.counts).toBeNull();
    expect(result.live).toEqual({ swarms: [] });
    expect(result.origin).toEqual({ segmentBytes: 0, segmentRequests: 0 });
    const metrics = await (await fetch(new URL('/metrics', running.url))).text();
    expect(metrics).not.toContain('p2p_seed_views_total');
    expect(metrics).toContain('p2p_seed_swarm_peers');
  });

  it('keeps the default database in a dot folder of the collection, which is neither listed nor served', async () => {
    const running = await serve({ counts: undefined });
    expect(running.counts).toBeDefined();
    await post(running, beacon(running));
    expect((await readFile(path.join(dir, 'root/.p2p-seed/counts.db'))).length).toBeGreaterThan(0);
    const listing = (await (await fetch(new URL('/collection.json', running.url))).json()) as { titles: { id: string }[] };
    expect(listing.titles.map((title) => title.id)).toEqual(['film', 'other']);
    expect((await fetch(new URL('/.p2p-seed/counts.db', running.url))).status).toBe(404);
  });
});

describe('swarm.json and the beacon', () => {
  it('adds the beacon to swarm.json p2p-seed wrote before, and leaves a site’s own alone', async () => {
    const line = '#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"';
    const linked = MULTIVARIANT.replace('#EXT-X-VERSION:7\n', `#EXT-X-VERSION:7\n${line}\n`);
    const older = { version: 1, swarmId: '0123456789ab/film', trackers: ['/announce'], iceServers: [], hashes: 'hashes.json' };
    const own = '{"version":1,"trackers":["wss://elsewhere.example/announce"]}\n';
    await writeTree(dir, {
      'root/film/master.m3u8': linked,
      'root/film/swarm.json': `${JSON.stringify(older, null, 2)}\n`,
      'root/other/master.m3u8': linked.replace('low/', 'v/'),
      'root/other/swarm.json': own,
      'root/third/master.m3u8': MULTIVARIANT,
      'root/third/low/index.m3u8': mediaPlaylist([['seg0.m4s', 4]]),
      'root/third/low/seg0.m4s': bytes(10),
    });
    const running = await serve();
    expect(await readFile(path.join(dir, 'root/film/swarm.json'), 'utf8')).toBe(`${JSON.stringify({ ...older, beacon: '/beacon' }, null, 2)}\n`);
    expect(await readFile(path.join(dir, 'root/other/swarm.json'), 'utf8')).toBe(own);
    // A stream given metadata now gets the beacon from the start.
    expect(JSON.parse(await readFile(path.join(dir, 'root/third/swarm.json'), 'utf8'))).toMatchObject({ trackers: ['/announce'], beacon: '/beacon' });
    await running.close();
    // Without counts the files are not touched.
    await writeTree(dir, { 'root/film/swarm.json': JSON.stringify(older) });
    await serve({ counts: false });
    expect(await readFile(path.join(dir, 'root/film/swarm.json'), 'utf8')).toBe(JSON.stringify(older));
  });
});
