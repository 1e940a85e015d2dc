import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../server-seed/src/index.ts';
import type { RunningServer } from '../../../server-seed/src/index.ts';
import { bytes, makeTempDir, rawRequest, removeDir, writeTree } from './helpers.ts';

const segment = bytes(1000);
const DAY = 'public, max-age=86400';

let dir: string;
let running: RunningServer;

beforeAll(async () => {
  dir = await makeTempDir();
  await writeTree(dir, {
    'root/demo/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv0.m3u8\n',
    'root/demo/v0.m3u8': '#EXTM3U\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n',
    'root/demo/seg0.ts': segment,
    'root/demo/seg1.m4s': bytes(10),
    'root/demo/init.mp4': bytes(10),
    'root/demo/clip.m4v': bytes(10),
    'root/demo/audio.m4a': bytes(10),
    'root/demo/audio.aac': bytes(10),
    'root/demo/clip.webm': bytes(10),
    'root/demo/subs.vtt': 'WEBVTT\n',
    'root/demo/poster.jpg': bytes(10),
    'root/demo/poster.png': bytes(10),
    'root/demo/poster.webp': bytes(10),
    'root/demo/swarm.json': '{"version":1}',
    'root/page.html': '<!doctype html><title>page</title>',
    'root/script.js': 'export {};',
    'root/.env': 'SECRET=1',
    'root/.git/config': '[core]',
    'root/demo/.hidden.ts': segment,
    'player/p2p-video.js': 'console.log("player")',
    'player/p2p-video.js.map': '{"version":3}',
    'examples/gallery.html': '<!doctype html><title>gallery</title>',
  });
  running = await startServer({
    root: `${dir}/root`,
    port: 0,
    playerDir: `${dir}/player`,
    examplesDir: `${dir}/examples`,
  });
});

afterAll(async () => {
  await running?.close();
  await removeDir(dir);
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, running.url), { headers });

describe('byte ranges', () => {
  it('answers a range with 206, the right Content-Range and exactly those bytes', async () => {
    const res = await get('/demo/seg0.ts', { Range: 'bytes=100-199' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(segment.subarray(100, 200)));
  });

  it('answers a suffix range with the last bytes', async () => {
    const res = await get('/demo/seg0.ts', { Range: 'bytes=-10' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 990-999/1000');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(segment.subarray(990)));
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await rawRequest(running.port, '/demo/seg0.ts', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('video/mp2t');
    expect(res.body.length).toBe(0);
  });

  it('answers a range past the end with 416 and the real size', async () => {
    const res = await get('/demo/seg0.ts', { Range: 'bytes=5000-6000' });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */1000');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toBeNull();
  });

  it('serves the whole file to a plain GET', async () => {
    const res = await get('/demo/seg0.ts');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(segment));
  });
});

describe('content types and caching', () => {
  it.each([
    ['/demo/master.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['/demo/seg0.ts', 'video/mp2t', DAY],
    ['/demo/seg1.m4s', 'video/iso.segment', DAY],
    ['/demo/init.mp4', 'video/mp4', DAY],
    ['/demo/clip.m4v', 'video/mp4', DAY],
    ['/demo/audio.m4a', 'audio/mp4', DAY],
    ['/demo/audio.aac', 'audio/aac', DAY],
    ['/demo/clip.webm', 'video/webm', DAY],
    ['/demo/subs.vtt', 'text/vtt; charset=utf-8', 'no-cache'],
    ['/demo/poster.jpg', 'image/jpeg', DAY],
    ['/demo/poster.png', 'image/png', DAY],
    ['/demo/poster.webp', 'image/webp', DAY],
    ['/demo/swarm.json', 'application/json; charset=utf-8', 'no-cache'],
    ['/page.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/script.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/player/p2p-video.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/player/p2p-video.js.map', 'application/json', 'no-cache'],
    ['/collection.json', 'application/json; charset=utf-8', 'no-cache'],
    ['/', 'text/html; charset=utf-8', 'no-cache'],
  ])('%s is %s with Cache-Control %s', async (path, type, cacheControl) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe(cacheControl);
  });

  it('revalidates a playlist with its ETag (304, no body)', async () => {
    const first = await get('/demo/master.m3u8');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await rawRequest(running.port, '/demo/master.m3u8', { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('revalidates the collection listing with its ETag', async () => {
    const etag = (await get('/collection.json')).headers.get('etag');
    expect(etag).toBeTruthy();
    expect((await get('/collection.json', { 'If-None-Match': etag! })).status).toBe(304);
  });
});

describe('CORS and methods', () => {
  it.each(['/demo/seg0.ts', '/collection.json', '/missing.ts', '/player/p2p-video.js'])('%s carries the CORS headers', async (path) => {
    const res = await get(path);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('Content-Length, Content-Range, Accept-Ranges, ETag, Link, Repr-Digest');
  });

  it('answers a preflight with 204 and the allowed methods and headers', async () => {
    const res = await rawRequest(running.port, '/demo/seg0.ts', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'cache-control,range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    // Range for players; Cache-Control for WebTorrent's web-seed requests from a page on another origin.
    expect(res.headers['access-control-allow-headers']).toBe('Range, Cache-Control');
    expect(res.headers['access-control-max-age']).toBe('86400');
    expect(res.body.length).toBe(0);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses %s with 405 and an Allow header', async (method) => {
    const res = await rawRequest(running.port, '/demo/seg0.ts', { method });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('missing and hidden files', () => {
  it('answers an unknown path with 404 text/plain', async () => {
    const res = await get('/nothing/here.m3u8');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toMatch(/not found/);
  });

  it.each(['/.env', '/.git/config', '/demo/.hidden.ts', '/%2eenv', '/examples/.env', '/player/.env'])('hides the dotfile %s (404)', async (path) => {
    const res = await rawRequest(running.port, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('SECRET');
  });

  it('redirects a directory without a trailing slash and 404s one without index.html', async () => {
    const redirect = await rawRequest(running.port, '/demo');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/demo/');
    expect((await rawRequest(running.port, '/demo/')).status).toBe(404);
  });

  it('ignores the query string', async () => {
    const res = await get('/demo/master.m3u8?token=abc');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('#EXT-X-STREAM-INF');
  });
});
