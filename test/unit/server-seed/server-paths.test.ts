import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../server-seed/src/index.ts';
import type { RunningServer } from '../../../server-seed/src/index.ts';
import { makeTempDir, rawRequest, removeDir, writeTree } from './helpers.ts';

// Everything served lives below `outer`; the secret sits beside the served directories.
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

let outer: string;
let running: RunningServer;

beforeAll(async () => {
  outer = await makeTempDir();
  await writeTree(outer, {
    'secret.txt': SECRET,
    'package.json': `{"name":"${SECRET}"}`,
    'root/demo/master.m3u8': '#EXTM3U\n',
    'root/inside.txt': 'inside',
    'examples/embed.html': '<!doctype html>',
    'player/p2p-video.js': '',
  });
  await mkdir(path.join(outer, 'root/links'));
  await symlink(path.join(outer, 'secret.txt'), path.join(outer, 'root/links/secret.txt'));
  await symlink(outer, path.join(outer, 'root/links/outer'));
  await symlink(path.join(outer, 'root/inside.txt'), path.join(outer, 'root/links/inside.txt'));
  running = await startServer({
    root: path.join(outer, 'root'),
    port: 0,
    playerDir: path.join(outer, 'player'),
    examplesDir: path.join(outer, 'examples'),
  });
});

afterAll(async () => {
  await running?.close();
  await removeDir(outer);
});

describe('path escapes', () => {
  it.each([
    '/../secret.txt',
    '/../package.json',
    '/demo/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/package.json',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/demo/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/%2e%2e%5csecret.txt',
    '/demo%5c..%5c..%5csecret.txt',
    '//../secret.txt',
    '/examples/../secret.txt',
    '/examples/%2e%2e/secret.txt',
    '/player/%2e%2e/secret.txt',
    '/player/..%2f..%2fsecret.txt',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    'http://127.0.0.1/../secret.txt',
  ])('%s never returns a file outside the served directory', async (requestPath) => {
    const res = await rawRequest(running.port, requestPath);
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body.toString()).not.toContain(SECRET);
    expect(res.body.toString()).not.toContain('root:');
  });

  it('refuses a symlink to a file outside the root with 403', async () => {
    const res = await rawRequest(running.port, '/links/secret.txt');
    expect(res.status).toBe(403);
    expect(res.body.toString()).not.toContain(SECRET);
  });

  it('refuses a symlinked directory that leads outside the root with 403', async () => {
    const res = await rawRequest(running.port, '/links/outer/secret.txt');
    expect(res.status).toBe(403);
    expect(res.body.toString()).not.toContain(SECRET);
  });

  it('still serves a symlink that stays inside the root', async () => {
    const res = await rawRequest(running.port, '/links/inside.txt');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('inside');
  });
});

describe('malformed requests', () => {
  it.each(['/%', '/%zz', '/demo/%E0%A4%A', '/%c0%ae%c0%ae/secret.txt', '/%00', '/demo/master.m3u8%00.txt'])(
    '%s is a 400, not a crash',
    async (requestPath) => {
      const res = await rawRequest(running.port, requestPath);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body.toString()).not.toContain(SECRET);
    },
  );

  it('keeps serving after a burst of hostile paths', async () => {
    const paths = ['/%', '/..', '/%2e%2e%2f', '/%C3%A9t%C3%A9', '/a'.repeat(2000), '/*'];
    await Promise.all(paths.map((requestPath) => rawRequest(running.port, requestPath)));
    const res = await rawRequest(running.port, '/demo/master.m3u8');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('#EXTM3U\n');
  });
});
