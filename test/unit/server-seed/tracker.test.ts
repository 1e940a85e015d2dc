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
