import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { randomPeerId } from '../../player/src/engine/info-hash.ts';
import { SimplePeerTransport } from '../../player/src/engine/simple-peer-transport.ts';
import { Swarm } from '../../player/src/engine/swarm.ts';
import type { WebSocketLike } from '../../player/src/engine/tracker-client.ts';
import type { PeerChannel, PeerChannelEvents, PeerChannelOptions, Transport } from '../../player/src/engine/transport.ts';
import { decode } from '../../player/src/protocol/index.ts';
import { titleRenditions } from '../../server-seed/src/seeder/seeder.ts';

/** A connection the fault peer cut in the middle of a segment. */
export interface Drop {
  /** The rendition's key, e.g. '180p/index.m3u8'. */
  key: string;
  sn: number;
  /** The segment's file name, e.g. 'seg-00003.m4s'. */
  file: string;
  /** Bytes of the segment sent before the cut, from its first byte. */
  sent: number;
  total: number;
}

export interface FaultPeer {
  readonly drops: readonly Drop[];
  close(): void;
}

export interface FaultPeerOptions {
  root: string;
  src: string;
  trackerUrl: string;
  /** The first this many connections that serve anything are cut partway through their first segment; later ones serve honestly. */
  dropConnections: number;
  /** Chunks (16 KiB) of that segment sent before the cut. Default 3. */
  chunksBeforeDrop?: number;
}

/** Upload pace to each viewer: a segment goes out a chunk at a time over a few hundred milliseconds. */
const PACE_BYTES_PER_SECOND = 400_000;

/**
 * A Node peer on our own engine (WebRTC through node-datachannel) holding every segment of a packaged title, honest
 * but fragile: it serves a chunk at a time and, on its first connections, goes silent in the middle of a segment
 * and drops the connection, as a viewer closing its laptop would.
 */
export async function startFaultPeer(options: FaultPeerOptions): Promise<FaultPeer> {
  const drops: Drop[] = [];
  let cuts = 0;
  const inner = new SimplePeerTransport({ iceServers: [], iceCompleteTimeoutMs: 150 });
  const swarms: Swarm[] = [];
  const peerId = randomPeerId();
  for (const [infoHash, { key, files }] of await titleRenditions(options.root, options.src)) {
    const names = new Map([...files].map(([sn, file]) => [sn, file.split(/[\\/]/).pop()!]));
    const transport: Transport = {
      createPeer: (peerOptions: PeerChannelOptions) => {
        // Decided at a connection's first chunk: one that never connects does not use up a cut.
        const cutAt = (): number | undefined => {
          if (cuts >= options.dropConnections) return undefined;
          cuts += 1;
          return options.chunksBeforeDrop ?? 3;
        };
        return new CuttingChannel(inner.createPeer(peerOptions), cutAt, (sn, sent, total) => drops.push({ key, sn, file: names.get(sn) ?? '', sent, total }));
      },
    };
    swarms.push(
      new Swarm({
        key,
        infoHash: Buffer.from(infoHash, 'hex'),
        peerId,
        trackers: [options.trackerUrl],
        transport,
        createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
        segments: {
          held: () => [...files.keys()],
          segment: async (sn) => {
            const file = files.get(sn);
            return file ? new Uint8Array(await readFile(file)) : undefined;
          },
          watch: () => () => {},
        },
        uploads: true,
        maxOffers: 0,
        maxAnswering: 16,
        maxPeers: 10,
        uploadLimit: { perPeer: PACE_BYTES_PER_SECOND },
        now: () => performance.now(),
        random: Math.random,
        logger: () => {},
      }),
    );
  }
  return {
    drops,
    close: () => swarms.forEach((swarm) => swarm.destroy()),
  };
}

/** Passes everything through until `cutAt()` chunks of a segment have gone: then swallows the rest and drops. */
class CuttingChannel implements PeerChannel {
  private chunks = 0;
  private cut: number | undefined | null = null;
  private silent = false;

  constructor(
    private readonly channel: PeerChannel,
    private readonly cutAt: () => number | undefined,
    private readonly onCut: (sn: number, sent: number, total: number) => void,
  ) {}

  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  get connected(): boolean {
    return this.channel.connected;
  }

  signal(data: Parameters<PeerChannel['signal']>[0]): void {
    this.channel.signal(data);
  }

  send(bytes: Uint8Array): void {
    if (this.silent) return;
    const message = decode(bytes);
    if (message.type === 'data') {
      if (this.cut === null) this.cut = this.cutAt();
      this.chunks += 1;
      const end = message.offset + message.bytes.byteLength;
      if (this.cut !== undefined && this.chunks >= this.cut && end < message.total) {
        this.silent = true;
        this.onCut(message.sn, end, message.total);
        // What was sent arrives; then nothing more, and the connection goes.
        setTimeout(() => this.channel.destroy(), 150);
      }
    }
    this.channel.send(bytes);
  }

  destroy(): void {
    this.channel.destroy();
  }

  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    this.channel.on(event, listener);
  }

  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    this.channel.off(event, listener);
  }
}
