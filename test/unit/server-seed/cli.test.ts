import { spawn } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRate, runCli } from '../../../server-seed/src/cli.ts';
import type { CliIo } from '../../../server-seed/src/cli.ts';
import { makeTempDir, removeDir, writeTree } from './helpers.ts';
import { makeFixtures, removeFixtures } from './packager/fixtures.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = path.join(repo, 'server-seed/bin/p2p-seed.js');

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
  await writeTree(dir, {
    'collection/demo/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=320x180\nv0.m3u8\n',
    'collection/demo/v0.m3u8': '#EXTM3U\n#EXTINF:5,\ns0.ts\n#EXT-X-ENDLIST\n',
    'file.txt': 'not a directory',
  });
});

afterEach(async () => {
  await removeDir(dir);
});

function capture(): CliIo & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (line) => void lines.out.push(line), err: (line) => void lines.err.push(line) };
}

describe('runCli', () => {
  it('fails with exit code 1 and one line when the directory is missing', async () => {
    const io = capture();
    const result = await runCli([path.join(dir, 'nope'), '--port', '0'], io);
    expect(result).toEqual({ exitCode: 1 });
    expect(io.lines.err).toEqual([`p2p-seed: error: collection directory not found: ${path.join(dir, 'nope')}`]);
  });

  it('fails with exit code 1 when DIR is a file', async () => {
    const io = capture();
    expect((await runCli([path.join(dir, 'file.txt'), '--port', '0'], io)).exitCode).toBe(1);
    expect(io.lines.err).toEqual([`p2p-seed: error: not a directory: ${path.join(dir, 'file.txt')}`]);
  });

  it.each(['abc', '70000', '1.5', '-1', ''])('refuses --port %j with exit code 1', async (port) => {
    const io = capture();
    const result = await runCli([dir, '--port', port], io);
    expect(result.exitCode).toBe(1);
    expect(result.server).toBeUndefined();
    expect(io.lines.err).toEqual([`p2p-seed: error: option '-p, --port <number>' argument '${port}' is invalid. use an integer from 0 to 65535.`]);
  });

  it.each([
    ['--max-peers', '0', 'use a whole number of peers, at least 1.'],
    ['--max-peers', 'many', 'use a whole number of peers, at least 1.'],
    ['--upload-limit', 'fast', 'use a rate such as 100mbit, 20MB or 500000 (bytes per second).'],
    ['--peer-upload-limit', '10 parsecs', 'use a rate such as 100mbit, 20MB or 500000 (bytes per second).'],
  ])('refuses %s %j with exit code 1 and says what it takes', async (flag, value, hint) => {
    const io = capture();
    const result = await runCli([dir, flag, value, '--port', '0'], io);
    expect(result.exitCode).toBe(1);
    expect(result.server).toBeUndefined();
    expect(io.lines.err).toHaveLength(1);
    expect(io.lines.err[0]).toContain(hint);
  });

  it('passes the peer cap and upload limits to the seeder, which reports them in /stats', async () => {
    const io = capture();
    const args = [path.join(dir, 'collection'), '--port', '0', '--quiet', '--max-peers', '25', '--upload-limit', '80mbit', '--peer-upload-limit', '2MB'];
    const { server } = await runCli(args, io);
    try {
      const stats = (await (await fetch(`${server!.url}stats`)).json()) as { seeder: unknown };
      expect(stats.seeder).toMatchObject({ limits: { maxPeers: 25, uploadLimit: 10_000_000, peerUploadLimit: 2_000_000 } });
    } finally {
      await server?.close();
    }
  });

  it('packages an MP4 into HLS, or with --no-package serves it as it is, a progressive title', async () => {
    const fixtures = await makeFixtures();
    await copyFile(fixtures.files.avFaststart, path.join(dir, 'collection', 'film.mp4'));
    await removeFixtures();
    type Listing = { titles: { id: string; type: string }[] };
    const listing = async (url: string) => ((await (await fetch(`${url}collection.json`)).json()) as Listing).titles.map((t) => [t.id, t.type]);
    const kept = await runCli([path.join(dir, 'collection'), '--port', '0', '--quiet', '--no-seed', '--no-package'], capture());
    try {
      expect(await listing(kept.server!.url)).toContainEqual(['film.mp4', 'progressive']);
    } finally {
      await kept.server?.close();
    }
    const packaged = await runCli([path.join(dir, 'collection'), '--port', '0', '--quiet', '--no-seed'], capture());
    try {
      expect(await listing(packaged.server!.url)).toContainEqual(['film', 'hls']);
      expect(await listing(packaged.server!.url)).not.toContainEqual(['film.mp4', 'progressive']);
    } finally {
      await packaged.server?.close();
    }
  });

  it('keeps the download counts where --db says, and none with --no-counts', async () => {
    const db = path.join(dir, 'elsewhere', 'counts.db');
    const { server } = await runCli([path.join(dir, 'collection'), '--port', '0', '--quiet', '--no-seed', '--db', db], capture());
    try {
      const stats = (await (await fetch(`${server!.url}stats`)).json()) as { counts: unknown };
      expect(stats.counts).toMatchObject({ totals: { views: 0 }, titles: [], days: [] });
      expect((await readFile(db)).length).toBeGreaterThan(0);
    } finally {
      await server?.close();
    }
    const off = await runCli([path.join(dir, 'collection'), '--port', '0', '--quiet', '--no-seed', '--no-counts'], capture());
    try {
      expect(((await (await fetch(`${off.server!.url}stats`)).json()) as { counts: unknown }).counts).toBeNull();
      expect((await fetch(`${off.server!.url}beacon`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await off.server?.close();
    }
  });

  it('prints the version from package.json', async () => {
    const io = capture();
    const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'], io)).toEqual({ exitCode: 0 });
    expect(io.lines.out).toEqual([version]);
  });

  it('prints usage with --help', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toEqual({ exitCode: 0 });
    expect(io.lines.out.join('\n')).toMatch(/Usage: p2p-seed \[options\] \[dir\][\s\S]*--port[\s\S]*--host[\s\S]*--quiet/);
  });

  it('starts a server that logs its start line, or nothing with --quiet', async () => {
    const io = capture();
    const { exitCode, server } = await runCli([path.join(dir, 'collection'), '--port', '0', '--host', '127.0.0.1'], io);
    expect(exitCode).toBe(0);
    try {
      expect(io.lines.out).toEqual([
        // The packager runs first and says what it did.
        'p2p-seed: nothing to package (no MP4 files found)',
        expect.stringMatching(/^p2p-seed: serving .*collection at http:\/\/127\.0\.0\.1:\d+\//),
        // The fixture's playlist had no swarm metadata: the server says it added it.
        'p2p-seed: added swarm metadata to 1 stream(s): /demo/master.m3u8',
        'p2p-seed: seeding 1 rendition(s) of 1 title(s) over WebRTC',
      ]);
      expect((await fetch(new URL('/demo/master.m3u8', server!.url))).status).toBe(200);
    } finally {
      await server?.close();
    }

    const quiet = capture();
    const second = await runCli([path.join(dir, 'collection'), '--port', '0', '--quiet'], quiet);
    await second.server?.close();
    expect(second.exitCode).toBe(0);
    expect(quiet.lines).toEqual({ out: [], err: [] });
  });
});

describe('parseRate', () => {
  it.each([
    ['500000', 500_000],
    ['500kB', 500_000],
    ['20MB', 20_000_000],
    ['20 MB/s', 20_000_000],
    ['100mbit', 12_500_000],
    ['100Mbps', 12_500_000],
    ['1.5gbit', 187_500_000],
  ])('reads %j as %i bytes per second', (text, bytes) => {
    expect(parseRate(text)).toBe(bytes);
  });

  it.each(['', '0', 'fast', '-5MB', '5 furlongs'])('refuses %j', (text) => {
    expect(() => parseRate(text)).toThrow(/use a rate such as/);
  });
});

describe('the p2p-seed command', () => {
  it('serves DIR on --port 0, prints the URL and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, path.join(dir, 'collection'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        // Packaging lines come first; the start line names the URL.
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('p2p-seed: serving ')) resolve(line);
        });
        child.once('exit', () => reject(new Error(`p2p-seed exited early: ${stderr}`)));
      });
      const url = /^p2p-seed: serving .* at (http:\/\/127\.0\.0\.1:\d+\/) /.exec(firstLine)?.[1];
      expect(url, firstLine).toBeDefined();

      const listing = (await (await fetch(new URL('collection.json', url))).json()) as { titles: { id: string; duration: number }[] };
      expect(listing.titles).toMatchObject([{ id: 'demo', duration: 5 }]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('exits 1 with a message on stderr when DIR does not exist', async () => {
    const child = spawn(process.execPath, [bin, path.join(dir, 'nope')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe(`p2p-seed: error: collection directory not found: ${path.join(dir, 'nope')}\n`);
  });
});
