import { readFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { randomPeerId } from '../../../player/src/engine/info-hash.ts';
import { TokenBucket } from '../../../player/src/engine/rate-limit.ts';
import { SimplePeerTransport } from '../../../player/src/engine/simple-peer-transport.ts';
import { Swarm, type SwarmSegments } from '../../../player/src/engine/swarm.ts';
import type { WebSocketLike } from '../../../player/src/engine/tracker-client.ts';
import type { Collection } from '../collection.ts';
import { parseM3u8 } from '../playlist.ts';
import { swarmInfoHash } from '../swarm-metadata.ts';
import type { LiveSource } from '../live/held-segments.ts';
import { DiskSegments, SegmentCache } from './disk-segments.ts';
import { MirrorSegments, type MirrorCache, type MirrorStream } from './mirror.ts';

export interface SeederOptions {
  /** The collection directory (none for a seeder of mirrors only). */
  root?: string;
  /** The tracker viewers of the collection use, as the seeder reaches it (ws://127.0.0.1:PORT/announce for our own). */
  trackerUrl?: string;
  iceServers?: RTCIceServer[];
  /** Peers connected at once, over all swarms (the peer cap); default 400. */
  maxPeers?: number;
  /** Upload limit over all peers, bytes per second; default none. */
  uploadLimit?: number;
  /** The server's upload budget, when other seeders share the limit (a mirror's, the torrent seeder): instead of `uploadLimit`. */
  uploadBudget?: TokenBucket;
  /** Upload limit to each peer, bytes per second; default none. */
  peerUploadLimit?: number;
  /** A swarm with no peer for this long is left (it is joined again when a viewer announces). Default 5 min. */
  idleMs?: number;
  /**
   * A collection with at most this many renditions is seeded from the start (so a first viewer finds the seeder
   * already in the swarm); a larger one only as viewers announce. Default 64.
   */
  joinAllUpTo?: number;
  /** Told of every upload, with the title it was of: the title's `src` in the collection (a mirror's playlist URL). */
  onUpload?: (title: string, bytes: number) => void;
  logger?: (line: string) => void;
}

const DEFAULT_MAX_PEERS = 400;

interface Rendition {
  title: string;
  key: string;
  segments: () => SwarmSegments;
  /** Where its viewers announce; default the collection's tracker. */
  trackers?: string[];
}

export interface SeederStats {
  swarms: number;
  peers: number;
  uploadBytes: number;
  /** The peer cap and upload limits in force (bytes per second; null: none). */
  limits: { maxPeers: number; uploadLimit: number | null; peerUploadLimit: number | null };
}

/**
 * A WebRTC peer that holds every segment of every packaged title, so each segment always has a source in the
 * swarm. A small collection is seeded whole from the start; in a large one it joins a rendition's swarm only when
 * a viewer announces it (the in-process tracker tells it) and leaves swarms that have gone idle, so the
 * collection costs nothing while nobody watches.
 */
export class Seeder {
  private readonly options: SeederOptions;
  private readonly peerId = randomPeerId();
  private readonly transport: SimplePeerTransport;
  private readonly cache = new SegmentCache();
  private readonly maxPeers: number;
  private readonly sharedLimit: TokenBucket | undefined;
  private renditions = new Map<string, Rendition>();
  /** Pinned swarms (mirrors) are never left for idleness: no announce of ours would bring the seeder back. */
  private readonly joined = new Map<string, { swarm: Swarm; idleSince: number | undefined; pinned: boolean }>();
  private readonly sweep: ReturnType<typeof setInterval>;
  private uploadBytes = 0;
  private joinAll = false;
  private destroyed = false;

  constructor(options: SeederOptions) {
    this.options = options;
    this.maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS;
    this.sharedLimit = options.uploadBudget ?? (options.uploadLimit ? new TokenBucket(options.uploadLimit) : undefined);
    // node-datachannel never reports the end of ICE gathering to simple-peer: without STUN/TURN, host candidates
    // are all there at once, so the answer need not wait long; with servers, give them time to answer.
    const iceServers = options.iceServers ?? [];
    this.transport = new SimplePeerTransport({ iceServers, iceCompleteTimeoutMs: iceServers.length === 0 ? 150 : 1500 });
    this.sweep = setInterval(() => this.leaveIdle(), Math.min(30_000, options.idleMs ?? 300_000));
    this.sweep.unref?.();
  }

  get stats(): SeederStats {
    let peers = 0;
    for (const { swarm } of this.joined.values()) peers += swarm.peerCount;
    const limits = { maxPeers: this.maxPeers, uploadLimit: this.sharedLimit?.rate ?? null, peerUploadLimit: this.options.peerUploadLimit ?? null };
    return { swarms: this.joined.size, peers, uploadBytes: this.uploadBytes, limits };
  }

  /** Learns the collection's renditions and the info hashes viewers will announce for them. */
  async load(collection: Collection): Promise<void> {
    const found = new Map<string, Rendition>();
    for (const title of collection.titles) {
      if (title.type !== 'hls' || title.renditions.length === 0) continue;
      try {
        if (!this.options.root) continue;
        for (const [hash, { key, files }] of await titleRenditions(this.options.root, title.src)) {
          found.set(hash, { title: title.src, key, segments: () => new DiskSegments(files, this.cache) });
        }
      } catch (error) {
        this.log(`p2p-seed: seeder: skipping ${title.src}: ${(error as Error).message}`);
      }
    }
    for (const [hash, rendition] of found) this.renditions.set(hash, rendition);
    this.joinAll = found.size <= (this.options.joinAllUpTo ?? 64);
    const titles = new Set([...found.values()].map((r) => r.title)).size;
    const how = this.joinAll ? 'seeding' : 'ready to seed, as viewers come,';
    if (found.size > 0) this.log(`p2p-seed: ${how} ${found.size} rendition(s) of ${titles} title(s) over WebRTC`);
    if (this.joinAll) for (const hash of found.keys()) this.onAnnounce(hash);
  }

  /**
   * Seeds a stream hosted elsewhere: joins the swarm of each of its renditions on that origin's trackers at once
   * (their announces never reach us), serving segments fetched once from the origin into `cache`.
   */
  addMirror(stream: MirrorStream, cache: MirrorCache): void {
    let segments = 0;
    for (const rendition of stream.renditions) {
      const mirrored = new MirrorSegments(rendition, cache);
      this.renditions.set(rendition.infoHash, { title: stream.url, key: rendition.key, segments: () => mirrored, trackers: stream.trackers });
      this.join(rendition.infoHash, true);
      segments += rendition.segments.size;
    }
    this.log(`p2p-seed: mirroring ${stream.url}: ${segments} segment(s) in ${stream.renditions.length} rendition(s), tracker ${stream.trackers.join(' ')}`);
  }

  /**
   * Seeds a live stream: joins its swarm as soon as its playlist appears (before any viewer, so the first finds the
   * seeder there) and offers each segment the moment the stream has hashed it; follows it to a new swarm when the
   * encoder starts again. `title`: the stream's playlist path (a mirror's URL), for the counts. `trackers`: where its
   * viewers announce, for a stream of another origin (default: the collection's tracker).
   */
  addLive(stream: LiveSource, title: string, trackers?: string[]): void {
    let current: string | undefined;
    const follow = (): void => {
      if (current) this.leave(current);
      current = stream.infoHash;
      const key = stream.key;
      if (!current || !key) return;
      this.renditions.set(current, { title, key, segments: () => stream, trackers });
      this.join(current, true);
    };
    stream.onSwarm(follow);
    follow();
  }

  private leave(infoHash: string): void {
    this.renditions.delete(infoHash);
    this.joined.get(infoHash)?.swarm.destroy();
    this.joined.delete(infoHash);
  }

  /** Called for every announce the tracker sees: joins that swarm if it is ours and not joined yet. */
  onAnnounce(infoHash: string): void {
    this.join(infoHash, false);
  }

  private join(infoHash: string, pinned: boolean): void {
    if (this.destroyed) return;
    const known = this.joined.get(infoHash);
    if (known) {
      known.idleSince = undefined;
      return;
    }
    const rendition = this.renditions.get(infoHash);
    const trackers = rendition?.trackers ?? (this.options.trackerUrl ? [this.options.trackerUrl] : []);
    if (!rendition || trackers.length === 0) return;
    const swarm = new Swarm({
      key: rendition.key,
      infoHash: Buffer.from(infoHash, 'hex'),
      peerId: this.peerId,
      trackers,
      transport: this.transport,
      createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      segments: rendition.segments(),
      uploads: true,
      seeder: true,
      // It announces at once and answers viewers' offers: a viewer that arrives a moment later finds it there.
      maxOffers: 0,
      // Viewers arriving together (a page with many readers, a live event) are answered together.
      maxAnswering: 16,
      maxPeers: this.maxPeers,
      peerBudget: () => this.maxPeers - this.peersAndHandshakes(),
      uploadLimit: { perPeer: this.options.peerUploadLimit, shared: this.sharedLimit },
      now: () => performance.now(),
      random: Math.random,
      logger: () => {},
    });
    swarm.on('upload', (bytes) => {
      this.uploadBytes += bytes;
      this.options.onUpload?.(rendition.title, bytes);
    });
    swarm.on('warning', (error) => this.log(`p2p-seed: seeder: ${error.message}`));
    this.joined.set(infoHash, { swarm, idleSince: undefined, pinned });
  }

  private peersAndHandshakes(): number {
    let n = 0;
    for (const { swarm } of this.joined.values()) n += swarm.size;
    return n;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.sweep);
    for (const { swarm } of this.joined.values()) swarm.destroy();
    this.joined.clear();
  }

  private leaveIdle(): void {
    if (this.joinAll) return;
    const now = Date.now();
    const idleMs = this.options.idleMs ?? 300_000;
    for (const [hash, entry] of this.joined) {
      if (entry.pinned || entry.swarm.peerCount > 0) entry.idleSince = undefined;
      else if (entry.idleSince === undefined) entry.idleSince = now;
      else if (now - entry.idleSince >= idleMs) {
        entry.swarm.destroy();
        this.joined.delete(hash);
      }
    }
  }

  private log(line: string): void {
    this.options.logger?.(line);
  }
}

/**
 * The renditions of one packaged title, by the info hash a viewer computes for each (SHA-1 of the swarm id from
 * swarm.json and the media playlist's path relative to the multivariant playlist), with their segment files.
 */
export async function titleRenditions(root: string, src: string): Promise<Map<string, { key: string; files: Map<number, string> }>> {
  const master = path.join(root, ...src.split('/').filter(Boolean));
  const dir = path.dirname(master);
  const swarm = JSON.parse(await readFile(path.join(dir, 'swarm.json'), 'utf8')) as { swarmId?: unknown };
  if (typeof swarm.swarmId !== 'string' || !swarm.swarmId) throw new Error('swarm.json names no swarmId');
  const playlist = parseM3u8(await readFile(master, 'utf8'));
  const out = new Map<string, { key: string; files: Map<number, string> }>();
  const audio = Object.values(playlist.mediaGroups?.AUDIO ?? {}).flatMap((group) => Object.values(group));
  const uris = [...(playlist.playlists ?? []).map((v) => v.uri), ...audio.map((a) => a.uri).filter((u): u is string => !!u)];
  for (const uri of new Set(uris)) {
    const key = relativeKey(uri);
    if (!key) continue;
    const mediaPath = path.join(dir, ...key.split('/'));
    const media = parseM3u8(await readFile(mediaPath, 'utf8'));
    const first = media.mediaSequence ?? 0;
    const files = new Map<number, string>();
    (media.segments ?? []).forEach((segment: { uri: string }, i: number) => {
      const rel = relativeKey(segment.uri);
      if (rel) files.set(first + i, path.join(path.dirname(mediaPath), ...rel.split('/')));
    });
    out.set(swarmInfoHash(swarm.swarmId, key), { key, files });
  }
  return out;
}

/** A plain relative URI inside the title folder, or undefined (absolute URLs, `..`). */
function relativeKey(uri: string): string | undefined {
  if (!uri || /^[a-z]+:/i.test(uri) || uri.startsWith('/')) return undefined;
  const clean = uri.split(/[?#]/, 1)[0];
  return clean.split('/').some((part) => part === '..') ? undefined : clean;
}
