import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanCollection } from '../../../../server-seed/src/collection.ts';
import { parseRequestPath } from '../../../../server-seed/src/request-path.ts';
import { hashFile } from '../../../../server-seed/src/torrent/file-hash.ts';
import { createTorrentHttp } from '../../../../server-seed/src/torrent/torrent-http.ts';
import { TorrentIndex } from '../../../../server-seed/src/torrent/torrent-index.ts';
import { bytes, makeTempDir, rawRequest, removeDir, writeTree } from '../helpers.ts';

let dir: string;
let server: Server;
let index: TorrentIndex;
let release: () => void;

beforeEach(async () => {
  dir = await makeTempDir();
  await writeTree(dir, { 'a.mp4': bytes(30_000) });
  // Hashing waits until the test lets it go.
  const gate = new Promise<void>((resolve) => (release = resolve));
  index = new TorrentIndex({ root: dir, hash: async (...args) => (await gate, hashFile(...args)) });
  index.update(await scanCollection(dir));
  const http = createTorrentHttp({ index, fallbackHost: () => 'fallback.example' });
  server = createServer((req, res) => {
    const target = parseRequestPath(req.url);
    const segments = target.ok ? target.segments : [];
    void http.serveTorrent(req, res, segments).then(async (outcome) => {
      if (outcome === 'served') return;
      await http.addFileHeaders(req, res, segments);
      res.end('file');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  release();
  await index.destroy();
  await new Promise((resolve) => server.close(resolve));
  await removeDir(dir);
});

const port = (): number => (server.address() as AddressInfo).port;

describe('torrent HTTP', () => {
  it('answers 503 for a .torrent still being hashed, and the file without a Link header, then both once hashed', async () => {
    const pending = await rawRequest(port(), '/a.mp4.torrent');
    expect(pending.status).toBe(503);
    expect(pending.headers['retry-after']).toBe('5');
    expect((await rawRequest(port(), '/a.mp4')).headers.link).toBeUndefined();

    release();
    await index.idle();
    const ready = await rawRequest(port(), '/a.mp4.torrent');
    expect(ready.status).toBe(200);
    expect(ready.headers['content-type']).toBe('application/x-bittorrent');
    const file = await rawRequest(port(), '/a.mp4');
    expect(file.headers.link).toMatch(/^<magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=a\.mp4&ws=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fa\.mp4&xs=/);
    expect(file.headers['repr-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
  });

  it('revalidates a .torrent by its ETag', async () => {
    release();
    await index.idle();
    const first = await rawRequest(port(), '/a.mp4.torrent');
    const again = await rawRequest(port(), '/a.mp4.torrent', { headers: { 'If-None-Match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
  });

  it('names no tracker without one, and falls back to the server address for a bad Host', async () => {
    release();
    await index.idle();
    const res = await rawRequest(port(), '/a.mp4', { headers: { Host: 'bad host/..' } });
    expect(res.headers.link).not.toMatch(/&tr=/);
    expect(res.headers.link).toMatch(/&ws=http%3A%2F%2Ffallback\.example%2Fa\.mp4&/);
  });
});
