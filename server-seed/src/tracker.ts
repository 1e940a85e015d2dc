import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import TrackerServer from 'bittorrent-tracker/server';
import { MinuteLimit } from './minute-limit.ts';
import type { WebSocket } from 'ws';

export interface TrackerOptions {
  /** The path WebSocket clients connect to. Default '/announce'. */
  path?: string;
  /** The announce interval given to clients, in ms. Default 30 s. */
  intervalMs?: number;
  /** Receives readable log lines. Silent by default. */
  logger?: (line: string) => void;
  /** Told of every announce (info hash in hex), so an in-process seeder can join swarms that have viewers. */
  onAnnounce?: (infoHash: string) => void;
  /**
   * Whether the tracker serves this swarm (info hash in hex): announces for any other are refused, so the tracker
   * cannot be used for swarms that are not the site's. Default: every swarm.
   */
  allow?: (infoHash: string) => boolean | Promise<boolean>;
  /** Peers one swarm may hold; a new peer beyond it is refused. Default 2000. */
  maxPeersPerSwarm?: number;
  /** Announces one IP address may make per minute; beyond it they are refused until the minute is over. Default 1200. */
  maxAnnouncesPerMinute?: number;
}

export interface SwarmSummary {
  /** Hex. */
  infoHash: string;
  peers: number;
}

export interface RunningTracker {
  /** Refuses new connections and closes every tracker socket. Safe to call twice. */
  close(): Promise<void>;
  /** Swarms that have peers now. */
  swarms(): SwarmSummary[];
}

/** Offers of a handful of peers fit easily; anything bigger is abuse. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Runs the WebTorrent tracker (bittorrent-tracker's WebSocket side) on an existing HTTP server, taking its
 * `upgrade` requests for `path`; other upgrade requests are refused.
 */
export function attachTracker(server: Server, options: TrackerOptions = {}): RunningTracker {
  const log = options.logger ?? (() => {});
  const trackerPath = options.path ?? '/announce';
  const intervalMs = options.intervalMs ?? 30_000;
  const tracker = new TrackerServer({
    http: false,
    udp: false,
    stats: false,
    ws: { noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false },
    // bittorrent-tracker tells WebSocket clients a fifth of its interval.
    interval: intervalMs * 5,
    // A peer whose socket stays open but stops announcing leaves after a few missed intervals.
    peersCacheTtl: Math.max(intervalMs * 5, 60_000),
    filter: (infoHash: string, params: AnnounceParams, cb: (error?: Error | null) => void) => {
      admit(infoHash, params).then(
        (refusal) => cb(refusal ? new Error(refusal) : null),
        (error: unknown) => cb(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  const maxPeersPerSwarm = options.maxPeersPerSwarm ?? 2000;
  const perIp = new MinuteLimit(options.maxAnnouncesPerMinute ?? 1200);
  // Why an announce is refused, in words the client shows, or undefined to take it.
  const admit = async (infoHash: string, params: AnnounceParams): Promise<string | undefined> => {
    if (!perIp.take(params.ip ?? 'unknown')) return 'too many announces from this address; try again in a minute';
    if (options.allow && !(await options.allow(infoHash))) return 'this tracker serves only the swarms of its own site';
    const swarm = tracker.torrents[infoHash];
    const peerId = typeof params.peer_id === 'string' ? params.peer_id : '';
    if (swarm && swarm.peers.keys.length >= maxPeersPerSwarm && !swarm.peers.peek(peerId)) return 'this swarm is full';
    return undefined;
  };
  const wss = tracker.ws;
  if (!wss) throw new Error('bittorrent-tracker did not create its WebSocket server');

  // A client's bad message is the client's problem: the library reports it as a warning and goes on.
  tracker.on('warning', (error: Error) => log(`p2p-seed: tracker: ${error.message}`));
  if (options.onAnnounce) {
    const notify = options.onAnnounce;
    for (const event of ['start', 'update', 'complete']) {
      tracker.on(event, (_addr: unknown, params: { info_hash?: unknown }) => {
        if (typeof params?.info_hash === 'string') notify(params.info_hash);
      });
    }
  }
  tracker.on('error', (error: Error) => log(`p2p-seed: tracker error: ${error.message}`));
  wss.on('error', (error: Error) => log(`p2p-seed: tracker error: ${error.message}`));

  const sockets = new Set<WebSocket>();
  let closing: Promise<void> | undefined;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathnameOf(req.url) !== trackerPath) {
      refuse(socket, 404);
      return;
    }
    if (closing) {
      refuse(socket, 503);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.terminate();
        return;
      }
      sockets.add(ws);
      ws.once('close', () => sockets.delete(ws));
      // What bittorrent-tracker's own 'connection' listener needs: the socket and its upgrade request.
      wss.emit('connection', ws, req);
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.off('upgrade', onUpgrade);
        tracker.close(() => resolve());
        for (const ws of sockets) ws.terminate();
        sockets.clear();
      });
      return closing;
    },
    swarms() {
      return Object.entries(tracker.torrents)
        .map(([infoHash, swarm]) => ({ infoHash, peers: swarm.peers.keys.length }))
        .filter((swarm) => swarm.peers > 0);
    },
  };
}

interface AnnounceParams {
  ip?: string;
  peer_id?: unknown;
}

function pathnameOf(url: string | undefined): string {
  const target = url ?? '';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

function refuse(socket: Duplex, status: number): void {
  const body = STATUS_CODES[status] ?? 'error';
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}
