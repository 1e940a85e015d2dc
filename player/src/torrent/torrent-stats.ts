import type { P2PStats } from '../engine/stats.ts';

/** Where a block of a piece came from: the origin as web seed, or a peer (by peer id). */
export type BlockSource = { kind: 'http' } | { kind: 'peer'; peer: string };

/** What fed a piece that failed its SHA-1 check. */
export interface FailedPiece {
  fromHttp: boolean;
  /** Peer ids that sent blocks of it. */
  peers: string[];
}

interface PieceFeed {
  httpBytes: number;
  p2pBytes: number;
  peers: Set<string>;
}

/**
 * The element's stats for a torrent, counted from what WebTorrent's wires report: bytes from the web seed are
 * `httpBytes`, from peers `p2pBytes`; a piece that passes its hash counts as one segment, for the source that sent
 * most of it; a piece that fails counts as rejected. Pure bookkeeping: the session feeds it events.
 */
export class TorrentCounters {
  // Not emptyStats(): this module is in the on-demand chunk, which should import nothing from the main one.
  private readonly stats: P2PStats = {
    httpBytes: 0,
    p2pBytes: 0,
    uploadBytes: 0,
    peers: 0,
    segmentsFromPeers: 0,
    segmentsFromHttp: 0,
    rejectedSegments: 0,
    bannedPeers: 0,
  };
  private readonly feeds = new Map<number, PieceFeed>();

  /** A block of piece `index` arrived (not yet checked). */
  received(index: number, bytes: number, source: BlockSource): void {
    let feed = this.feeds.get(index);
    if (!feed) {
      feed = { httpBytes: 0, p2pBytes: 0, peers: new Set() };
      this.feeds.set(index, feed);
    }
    if (source.kind === 'http') {
      feed.httpBytes += bytes;
      this.stats.httpBytes += bytes;
    } else {
      feed.p2pBytes += bytes;
      feed.peers.add(source.peer);
      this.stats.p2pBytes += bytes;
    }
  }

  /** Piece `index` matched its hash: it counts for whoever sent most of it. */
  verified(index: number): void {
    const feed = this.feeds.get(index);
    this.feeds.delete(index);
    if (!feed) return;
    if (feed.p2pBytes > feed.httpBytes) this.stats.segmentsFromPeers += 1;
    else this.stats.segmentsFromHttp += 1;
  }

  /** Piece `index` did not match its hash: dropped (WebTorrent fetches it again). */
  failed(index: number): FailedPiece {
    const feed = this.feeds.get(index);
    this.feeds.delete(index);
    this.stats.rejectedSegments += 1;
    return { fromHttp: (feed?.httpBytes ?? 0) > 0, peers: [...(feed?.peers ?? [])] };
  }

  uploaded(bytes: number): void {
    this.stats.uploadBytes += bytes;
  }

  banned(): void {
    this.stats.bannedPeers += 1;
  }

  setPeers(count: number): void {
    this.stats.peers = count;
  }

  snapshot(): P2PStats {
    return { ...this.stats };
  }
}
