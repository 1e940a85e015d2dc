import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../../server-seed/src/server.ts';
import { attachTracker } from '../../../server-seed/src/tracker.ts';
import type { RunningTracker } from '../../../server-seed/src/tracker.ts';
import { makeTempDir, removeDir, writeTree } from './helpers.ts';

const infoHash = '\u00aa'.repeat(20);
const peerId = (fill: string) => fill.repeat(20);

let server: http.Server;
let port: number;
let tracker: RunningTracker;
let lines: string[];
const sockets: WebSocket[] = [];

beforeEach(async () => {
  lines = [];
  server = http.createServer((_req, res) => res.end('plain http'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  tracker = attachTracker(server, { logger: (line) => lines.push(line) });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await tracker.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

/** Opens a WebSocket; resolves once open, rejects with the handshake error. */
function connect(urlPath: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${urlPath}`);
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
  });
}

function announce(socket: WebSocket, fill: string, extra: Record<string, unknown> = {}): void {
  socket.send(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId(fill), numwant: 0, offers: [], event: 'started', ...extra }));
}

describe('attachTracker', () => {
  it('speaks the WebTorrent tracker protocol on /announce, with a 30 s interval', async () => {
    const socket = await connect('/announce');
    const reply = nextMessage(socket);
    announce(socket, 'a');
    expect(await reply).toMatchObject({ action: 'announce', info_hash: infoHash, interval: 30, incomplete: 1, complete: 0 });
    expect(tracker.swarms()).toEqual([{ infoHash: 'aa'.repeat(20), peers: 1 }]);
  });

  it('relays an offer to another peer of the swarm, and its answer back', async () => {
    const first = await connect('/announce?x=1');
    const firstReply = nextMessage(first);
    announce(first, 'a');
    await firstReply;

    const second = await connect('/announce');
    const relayed = nextMessage(first);
    announce(second, 'b', { numwant: 1, offers: [{ offer: { type: 'offer', sdp: 'o' }, offer_id: peerId('o') }] });
    expect(await relayed).toMatchObject({ offer: { type: 'offer', sdp: 'o' }, offer_id: peerId('o'), peer_id: peerId('b') });

    const answered = new Promise<Record<string, unknown>>((resolve) => {
      second.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as Record<string, unknown>;
        if (message.answer) resolve(message);
      });
    });
    first.send(
      JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId('a'), to_peer_id: peerId('b'), answer: { type: 'answer', sdp: 'x' }, offer_id: peerId('o') }),
    );
    expect(await answered).toMatchObject({ answer: { type: 'answer', sdp: 'x' }, peer_id: peerId('a'), offer_id: peerId('o') });
    expect(tracker.swarms()).toEqual([{ infoHash: 'aa'.repeat(20), peers: 2 }]);
  });

  it('answers a bad message with a failure, logs it and keeps going', async () => {
    const socket = await connect('/announce');
    const reply = nextMessage(socket);
    socket.send('{"action":"announce","info_hash":"short"}');
    expect(await reply).toMatchObject({ 'failure reason': 'invalid info_hash' });
    expect(lines).toEqual(['p2p-seed: tracker: invalid info_hash']);
    const next = nextMessage(socket);
    announce(socket, 'a');
    expect(await next).toMatchObject({ action: 'announce', interval: 30 });
  });

  it('refuses WebSocket upgrades on other paths and leaves plain HTTP alone', async () => {
    await expect(connect('/other')).rejects.toThrow(/404/);
    await expect(connect('/announce/x')).rejects.toThrow(/404/);
    const res = await fetch(`http://127.0.0.1:${port}/announce`);
    expect(await res.text()).toBe('plain http');
  });

  it('forgets a peer whose socket closes', async () => {
    const socket = await connect('/announce');
    const reply = nextMessage(socket);
    announce(socket, 'a');
    await reply;
    socket.close();
    await waitFor(() => tracker.swarms().length === 0);
  });

  it('close() closes every tracker socket and refuses new ones; twice is fine', async () => {
    const socket = await connect('/announce');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await Promise.all([tracker.close(), tracker.close()]);
    await closed;
    await expect(connect('/announce')).rejects.toThrow();
  });
});

describe('attachTracker limits', () => {
  async function limited(options: Parameters<typeof attachTracker>[1]): Promise<void> {
    await tracker.close();
    tracker = attachTracker(server, { logger: (line) => lines.push(line), ...options });
  }

  it('refuses swarms it does not serve, with a reason the client shows, and takes those it does', async () => {
    await limited({ allow: async (hash) => hash === 'aa'.repeat(20) });
    const socket = await connect('/announce');
    let reply = nextMessage(socket);
    announce(socket, 'a', { info_hash: '\u00bb'.repeat(20) });
    expect(await reply).toMatchObject({ 'failure reason': 'this tracker serves only the swarms of its own site' });
    reply = nextMessage(socket);
    announce(socket, 'a');
    expect(await reply).toMatchObject({ action: 'announce', interval: 30 });
    expect(tracker.swarms()).toEqual([{ infoHash: 'aa'.repeat(20), peers: 1 }]);
  });

  it('holds a swarm to its peer limit; a peer already in it may still announce', async () => {
    await limited({ maxPeersPerSwarm: 2 });
    const socket = await connect('/announce');
    for (const fill of ['a', 'b']) {
      const reply = nextMessage(socket);
      announce(socket, fill);
      expect(await reply).toMatchObject({ action: 'announce' });
    }
    let reply = nextMessage(socket);
    announce(socket, 'c');
    expect(await reply).toMatchObject({ 'failure reason': 'this swarm is full' });
    reply = nextMessage(socket);
    announce(socket, 'a', { event: 'update' });
    expect(await reply).toMatchObject({ action: 'announce' });
    expect(tracker.swarms()).toEqual([{ infoHash: 'aa'.repeat(20), peers: 2 }]);
  });

  it('a flood of announces from one address is cut off at the per-minute limit and the server keeps answering', async () => {
    await limited({ maxAnnouncesPerMinute: 50 });
    const socket = await connect('/announce');
    const replies: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => replies.push(JSON.parse(data.toString()) as Record<string, unknown>));
    for (let i = 0; i < 500; i += 1) announce(socket, 'a', { event: i === 0 ? 'started' : 'update' });
    await waitFor(() => replies.length === 500);
    const refused = replies.filter((r) => r['failure reason'] === 'too many announces from this address; try again in a minute');
    // Unless the minute turned during the flood, exactly the first 50 were taken.
    expect(refused.length === 450 || (refused.length < 450 && refused.length >= 400)).toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('plain http');
  });
});

describe('startServer and the tracker', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    await writeTree(dir, { 'root/.keep': '' });
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('runs the tracker on its own port by default, names it in the start line, and closes with open sockets', async () => {
    const log: string[] = [];
    const running = await startServer({ root: path.join(dir, 'root'), port: 0, logger: (line) => log.push(line) });
    try {
      expect(log[0]).toMatch(new RegExp(`  tracker ws://127\\.0\\.0\\.1:${running.port}/announce$`));
      const socket = new WebSocket(`ws://127.0.0.1:${running.port}/announce`);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await running.close();
      await closed;
    } finally {
      await running.close();
    }
  });

  it("serves only the collection's swarms, unless opened", async () => {
    await writeTree(dir, {
      'root/film/master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow/index.m3u8\n',
      'root/film/low/index.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns0.m4s\n#EXT-X-ENDLIST\n',
      'root/film/low/s0.m4s': 'x',
    });
    const ask = async (open: boolean, hash: Buffer): Promise<Record<string, unknown>> => {
      const running = await startServer({ root: path.join(dir, 'root'), port: 0, seed: false, openTracker: open });
      try {
        const socket = new WebSocket(`ws://127.0.0.1:${running.port}/announce`);
        sockets.push(socket);
        await new Promise((resolve) => socket.once('open', resolve));
        const reply = nextMessage(socket);
        announce(socket, 'a', { info_hash: hash.toString('latin1') });
        return await reply;
      } finally {
        await running.close();
      }
    };
    // The swarm id p2p-seed wrote for the film, and the info hash its viewers announce.
    await startServer({ root: path.join(dir, 'root'), port: 0, seed: false }).then((s) => s.close());
    const { swarmId } = JSON.parse(await readFile(path.join(dir, 'root/film/swarm.json'), 'utf8')) as { swarmId: string };
    const film = createHash('sha1').update(`${swarmId}\nlow/index.m3u8`).digest();
    const stranger = createHash('sha1').update('someone else\nlow/index.m3u8').digest();
    expect(await ask(false, film)).toMatchObject({ action: 'announce', interval: 30 });
    expect(await ask(false, stranger)).toMatchObject({ 'failure reason': 'this tracker serves only the swarms of its own site' });
    expect(await ask(true, stranger)).toMatchObject({ action: 'announce', interval: 30 });
  });

  it('a flood of tracker connections and announces leaves the server answering HTTP', async () => {
    const running = await startServer({ root: path.join(dir, 'root'), port: 0, seed: false, openTracker: true });
    const flood: WebSocket[] = [];
    try {
      // 300 sockets from one client, each announcing into its own swarm with offers nobody takes.
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const socket = new WebSocket(`ws://127.0.0.1:${running.port}/announce`);
          flood.push(socket);
          await new Promise((resolve, reject) => {
            socket.once('open', resolve);
            socket.once('error', reject);
          });
          const hash = createHash('sha1').update(`flood ${i}`).digest().toString('latin1');
          const offers = [{ offer: { type: 'offer', sdp: 'x'.repeat(2000) }, offer_id: peerId('o') }];
          for (let n = 0; n < 5; n += 1) announce(socket, String.fromCharCode(65 + (i % 26)), { info_hash: hash, numwant: 5, offers });
        }),
      );
      const res = await fetch(`http://127.0.0.1:${running.port}/stats`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { tracker: { swarms: unknown[] } }).tracker.swarms.length).toBeGreaterThan(0);
    } finally {
      for (const socket of flood) socket.terminate();
      await running.close();
    }
  });

  it('has no tracker with tracker: false', async () => {
    const log: string[] = [];
    const running = await startServer({ root: path.join(dir, 'root'), port: 0, tracker: false, logger: (line) => log.push(line) });
    try {
      expect(running.tracker).toBeUndefined();
      expect(log[0]).not.toMatch(/tracker/);
      const socket = new WebSocket(`ws://127.0.0.1:${running.port}/announce`);
      await expect(
        new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        }),
      ).rejects.toThrow();
    } finally {
      await running.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
