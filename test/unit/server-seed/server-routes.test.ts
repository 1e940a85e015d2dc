import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../../server-seed/src/index.ts';
import type { RunningServer, ServerOptions } from '../../../server-seed/src/index.ts';
import { makeTempDir, rawRequest, removeDir, writeTree } from './helpers.ts';
import type { Tree } from './helpers.ts';

let dir: string;
const servers: RunningServer[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((running) => running.close()));
  await removeDir(dir);
});

/** A server on `dir/root`, `dir/player`, `dir/examples` after writing `tree` below `dir`. */
async function serve(tree: Tree, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  await writeTree(dir, { 'root/.keep': '', ...tree });
  const running = await startServer({
    root: path.join(dir, 'root'),
    port: 0,
    playerDir: path.join(dir, 'player'),
    examplesDir: path.join(dir, 'examples'),
    ...options,
  });
  servers.push(running);
  return running;
}

const text = async (running: RunningServer, urlPath: string) => {
  const res = await fetch(new URL(urlPath, running.url));
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

describe('the front page', () => {
  it('is the gallery when the collection has no index.html', async () => {
    const running = await serve({ 'examples/gallery.html': '<title>gallery page</title>' });
    expect(await text(running, '/')).toMatchObject({ status: 200, body: '<title>gallery page</title>' });
  });

  it("is the collection's own index.html when it has one", async () => {
    const running = await serve({ 'examples/gallery.html': 'gallery', 'root/index.html': 'own index' });
    expect(await text(running, '/')).toMatchObject({ status: 200, body: 'own index' });
  });

  it('is a 404 that names the missing gallery when there is neither', async () => {
    const running = await serve({});
    const res = await text(running, '/');
    expect(res.status).toBe(404);
    expect(res.body).toMatch(/gallery\.html/);
  });
});

describe('/player', () => {
  it('explains with a 503 that the player is not built', async () => {
    const running = await serve({});
    const res = await text(running, '/player/p2p-video.js');
    expect(res.status).toBe(503);
    expect(res.type).toBe('text/plain; charset=utf-8');
    expect(res.body).toContain('p2p-video player is not built: run `npm run build`');
    expect((await text(running, '/player/other.js')).status).toBe(404);
  });

  it('lets the service worker serve the whole site (Service-Worker-Allowed: /), and only it', async () => {
    const running = await serve({});
    await writeTree(dir, { 'player/p2p-video-sw.js': 'self.x = 1;', 'player/p2p-video.js': 'export {};' });
    const worker = await fetch(`${running.url}player/p2p-video-sw.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('service-worker-allowed')).toBe('/');
    expect((await fetch(`${running.url}player/p2p-video.js`)).headers.get('service-worker-allowed')).toBeNull();
  });

  it('serves the bundle once it is built, even after the server started', async () => {
    const running = await serve({});
    expect((await text(running, '/player/p2p-video.js')).status).toBe(503);
    await writeTree(dir, { 'player/p2p-video.js': 'export const built = true;' });
    expect(await text(running, '/player/p2p-video.js')).toMatchObject({ status: 200, body: 'export const built = true;' });
  });
});

describe('/examples', () => {
  it('serves pages and the index of /examples/', async () => {
    const running = await serve({ 'examples/embed.html': 'embed page', 'examples/index.html': 'examples index' });
    expect(await text(running, '/examples/embed.html')).toMatchObject({ status: 200, body: 'embed page' });
    expect(await text(running, '/examples/')).toMatchObject({ status: 200, body: 'examples index' });
    const redirect = await rawRequest(running.port, '/examples');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/examples/');
  });

  it('answers /examples/ with 404 without an index.html', async () => {
    const running = await serve({ 'examples/embed.html': 'embed page' });
    expect((await text(running, '/examples/')).status).toBe(404);
  });
});

describe('/collection.json', () => {
  it('lists the titles of the collection', async () => {
    const running = await serve({
      'root/demo/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nv0.m3u8\n',
      'root/demo/v0.m3u8': '#EXTM3U\n#EXTINF:4,\ns0.ts\n#EXTINF:4,\ns1.ts\n#EXT-X-ENDLIST\n',
      'root/clip.mp4': 'x',
    });
    const res = await fetch(new URL('/collection.json', running.url));
    expect(res.status).toBe(200);
    const listing = (await res.json()) as { version: number; titles: { id: string; src: string; duration: number | null }[] };
    expect(listing.version).toBe(1);
    expect(listing.titles.map(({ id, src, duration }) => ({ id, src, duration }))).toEqual([
      { id: 'clip.mp4', src: '/clip.mp4', duration: null },
      { id: 'demo', src: '/demo/master.m3u8', duration: 8 },
    ]);
  });

  it('reports a broken playlist in the log once, after the start line', async () => {
    const lines: string[] = [];
    const running = await serve({ 'root/broken.m3u8': 'hello' }, { logger: (line) => lines.push(line) });
    await fetch(new URL('/collection.json', running.url));
    await running.close();
    expect(lines[0]).toMatch(/^p2p-seed: serving /);
    expect(lines.filter((line) => line.includes('broken.m3u8'))).toHaveLength(1);
  });
});

describe('lifecycle', () => {
  it('logs exactly one start line naming the directory, the gallery, the embed page and the tracker', async () => {
    const lines: string[] = [];
    const running = await serve({}, { logger: (line) => lines.push(line) });
    await running.close();
    expect(running.url).toBe(`http://127.0.0.1:${running.port}/`);
    expect(running.port).toBeGreaterThan(0);
    expect(lines).toEqual([
      `p2p-seed: serving ${path.join(dir, 'root')} at ${running.url} — gallery ${running.url}  embed ${running.url}examples/embed.html` +
        `  tracker ws://127.0.0.1:${running.port}/announce`,
    ]);
  });

  it('is silent without a logger, even with a broken playlist', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method));
    try {
      const running = await serve({ 'root/broken.m3u8': 'hello' });
      await fetch(new URL('/collection.json', running.url));
      await running.close();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('rejects with a clear message when the port is in use', async () => {
    const first = await serve({});
    await expect(startServer({ root: path.join(dir, 'root'), port: first.port })).rejects.toThrow(
      `port ${first.port} is in use on 127.0.0.1`,
    );
  });

  it('rejects a missing directory, a file and a bad port with clear messages', async () => {
    await writeTree(dir, { 'file.txt': 'x' });
    await expect(startServer({ root: path.join(dir, 'nope'), port: 0 })).rejects.toThrow(/collection directory not found: .*nope/);
    await expect(startServer({ root: path.join(dir, 'file.txt'), port: 0 })).rejects.toThrow(/not a directory: .*file\.txt/);
    await expect(startServer({ root: dir, port: 70000 })).rejects.toThrow(/invalid port 70000/);
  });

  it('close() does not wait for a client that is still sending its request', async () => {
    const running = await serve({ 'root/a.txt': 'a' });
    const socket = net.connect(running.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write('GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await running.close();
    await socketClosed;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('close() ends keep-alive connections, frees the port and can be called twice', async () => {
    const running = await serve({ 'root/a.txt': 'a' });
    const agent = new http.Agent({ keepAlive: true });
    const closedSockets: Promise<void>[] = [];
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: running.port, path: '/a.txt', agent }, (res) => {
          closedSockets.push(new Promise((done) => res.socket.once('close', () => done())));
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    const started = Date.now();
    await Promise.all([running.close(), running.close()]);
    await running.close();
    await Promise.all(closedSockets);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(running.server.listening).toBe(false);
    agent.destroy();
    // The port is free again.
    const again = await startServer({ root: path.join(dir, 'root'), port: running.port });
    servers.push(again);
    expect(again.port).toBe(running.port);
  });
});
