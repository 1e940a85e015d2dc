import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { randomPeerId } from '../../player/src/engine/info-hash.ts';
import { SimplePeerTransport } from '../../player/src/engine/simple-peer-transport.ts';
import { Swarm } from '../../player/src/engine/swarm.ts';
import type { WebSocketLike } from '../../player/src/engine/tracker-client.ts';
import { titleRenditions } from '../../server-seed/src/seeder/seeder.ts';

/** How a test peer lies. */
export type Behaviour =
  /** Serves each segment with one bit flipped. */
  | 'wrong-bytes'
  /** Serves another segment of the same rendition: bytes that match a published hash, but not this one's. */
  | 'other-segment';

export interface HostilePeer {
  /** Bytes it sent to viewers. */
  readonly uploadBytes: number;
  close(): void;
}

/**
 * A Node peer on our own engine (WebRTC through node-datachannel) that claims every segment of a packaged title
 * and answers as `behaviour` says. It does not say it is a seeder, so viewers ask it before anyone else.
 */
export async function startHostilePeer(options: { root: string; src: string; trackerUrl: string; behaviour: Behaviour }): Promise<HostilePeer> {
  const transport = new SimplePeerTransport({ iceServers: [], iceCompleteTimeoutMs: 150 });
  const peerId = randomPeerId();
  const swarms: Swarm[] = [];
  let uploadBytes = 0;
  for (const [infoHash, { key, files }] of await titleRenditions(options.root, options.src)) {
    const sns = [...files.keys()];
    const lie = async (sn: number): Promise<Uint8Array | undefined> => {
      if (options.behaviour === 'other-segment') {
        const other = files.get(sn + 1) ?? files.get(sn - 1);
        return other ? new Uint8Array(await readFile(other)) : undefined;
      }
      const file = files.get(sn);
      if (!file) return undefined;
      const bytes = new Uint8Array(await readFile(file));
      bytes[bytes.length >> 1] ^= 0x01;
      return bytes;
    };
    const swarm = new Swarm({
      key,
      infoHash: Buffer.from(infoHash, 'hex'),
      peerId,
      trackers: [options.trackerUrl],
      transport,
      createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      segments: { held: () => sns, segment: lie, watch: () => () => {} },
      uploads: true,
      maxOffers: 0,
      maxAnswering: 16,
      maxPeers: 10,
      now: () => performance.now(),
      random: Math.random,
      logger: () => {},
    });
    swarm.on('upload', (bytes) => {
      uploadBytes += bytes;
    });
    swarms.push(swarm);
  }
  return {
    get uploadBytes() {
      return uploadBytes;
    },
    close: () => swarms.forEach((swarm) => swarm.destroy()),
  };
}
