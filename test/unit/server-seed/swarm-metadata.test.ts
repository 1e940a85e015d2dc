import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../../server-seed/src/server.ts';
import { withSessionData } from '../../../server-seed/src/swarm-metadata.ts';

const MULTIVARIANT = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360\nlow/index.m3u8\n';
const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg.ts\n#EXT-X-ENDLIST\n';
const LINE = '#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-swarm-meta-'));
  await mkdir(join(root, 'film/low'), { recursive: true });
  await writeFile(join(root, 'film/master.m3u8'), MULTIVARIANT);
  await writeFile(join(root, 'film/low/index.m3u8'), MEDIA);
  await writeFile(join(root, 'film/low/seg.ts'), 'x');
  await mkdir(join(root, 'own'), { recursive: true });
  await writeFile(join(root, 'own/master.m3u8'), MULTIVARIANT.replace('#EXT-X-VERSION:7\n', `#EXT-X-VERSION:7\n${LINE}\n`));
  await writeFile(join(root, 'own/swarm.json'), '{"version":1,"trackers":["wss://elsewhere.example/announce"]}\n');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('swarm metadata for the streams p2p-seed serves', () => {
  it('links a multivariant playlist to a swarm.json naming this server tracker, once', async () => {
    const server = await startServer({ root, port: 0 });
    try {
      const playlist = await (await fetch(`${server.url}film/master.m3u8`)).text();
      expect(playlist.split('\n').slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', LINE]);
      expect(await (await fetch(`${server.url}film/swarm.json`)).json()).toEqual({
        version: 1,
        swarmId: expect.stringMatching(/^[0-9a-f]{12}\/film$/),
        trackers: ['/announce'],
        iceServers: [],
        hashes: 'hashes.json',
        beacon: '/beacon',
      });
      // The site publishes what viewers check peers' bytes against: every segment the stream names.
      expect(await (await fetch(`${server.url}film/hashes.json`)).json()).toEqual({
        version: 1,
        algorithm: 'sha-256',
        segments: { 'low/seg.ts': createHash('sha256').update('x').digest('hex') },
      });
      expect(await readFile(join(root, 'film/low/index.m3u8'), 'utf8')).toBe(MEDIA);
    } finally {
      await server.close();
    }
    const again = await startServer({ root, port: 0 });
    await again.close();
    const text = await readFile(join(root, 'film/master.m3u8'), 'utf8');
    expect(text.split(LINE).length).toBe(2);
  });

  it("leaves a stream's own metadata alone, and does nothing without the tracker", async () => {
    const server = await startServer({ root, port: 0, tracker: false });
    await server.close();
    expect(await readFile(join(root, 'film/master.m3u8'), 'utf8')).toBe(MULTIVARIANT);
    const withTracker = await startServer({ root, port: 0 });
    await withTracker.close();
    expect(await readFile(join(root, 'own/swarm.json'), 'utf8')).toContain('elsewhere.example');
  });

  it('puts the line after the header and keeps CRLF playlists CRLF', () => {
    expect(withSessionData('#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-INDEPENDENT-SEGMENTS\r\na.m3u8\r\n')).toBe(
      `#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-INDEPENDENT-SEGMENTS\r\n${LINE}\r\na.m3u8\r\n`,
    );
  });
});
