import path from 'node:path';
import type WebTorrent from 'webtorrent/index.js';
import type { Torrent } from 'webtorrent/index.js';
import type { TokenBucket } from '../../../player/src/engine/rate-limit.ts';
import { reportEndOfCandidates } from './end-of-candidates.ts';
import { SHARE_INTERVAL_MS, SharedThrottle } from './shared-throttle.ts';
import { ReadOnlyFileStore } from './read-only-store.ts';
import type { TorrentEntry, TorrentIndex } from './torrent-index.ts';
import { torrentFile } from './torrent-info.ts';

export interface TorrentSeederOptions {
  /** The torrents to seed: every entry the index has and will have. */
  index: TorrentIndex;
  /** The tracker viewers use, as the seeder reaches it (ws://127.0.0.1:PORT/announce for our own). */
  trackerUrl: string;
  /** Default none: viewers reach the seeder directly, as with the HLS seeder. */
  iceServers?: RTCIceServer[];
  /** Upload limit over all peers of all files, bytes per second; default none. */
  uploadLimit?: number;
  /**
   * The server's upload budget, when other seeders share the limit (the HLS seeders of `--upload-limit`): WebTorrent
   * gets what they leave of it (see SharedThrottle) instead of `uploadLimit` of its own.
   */
  uploadBudget?: TokenBucket;
  /** Told of every upload, with the title's src. */
  onUpload?: (src: string, bytes: number) => void;
  logger?: (line: string) => void;
}

export interface TorrentSeederStats {
  /** Files being seeded. */
  files: number;
  /** Peers connected over all of them. */
  peers: number;
  uploadBytes: number;
  /** The upload limit in force, bytes per second (null: none). */
  uploadLimit: number | null;
}

interface Seeding {
  /** Identical files share one torrent (same name, same bytes): the first is the one credited with uploads. */
  entries: TorrentEntry[];
  torrent: Torrent | undefined;
}

/**
 * Seeds every progressive file of the collection over WebRTC with a Node WebTorrent client, from the files in place
 * (read only, never copied; their hashes are the index's, so nothing is read again to verify them), announcing to
 * this server's tracker. Browsers download from it, from each other and from the site (the web seed) at once.
 * WebTorrent's other ways to find peers (DHT, local discovery, PEX, UPnP port mapping, µTP) are off: viewers are
 * browsers, which only meet through the tracker.
 */
export class TorrentSeeder {
  private readonly options: TorrentSeederOptions;
  private readonly seeding = new Map<string, Seeding>();
  private readonly unsubscribe: () => void;
  private client: Promise<WebTorrent | undefined> | undefined;
  private uploadBytes = 0;
  private throttle: SharedThrottle | undefined;
  private sharing: ReturnType<typeof setInterval> | undefined;
  private destroyed: Promise<void> | undefined;
  private announced = false;

  constructor(options: TorrentSeederOptions) {
    this.options = options;
    this.unsubscribe = options.index.subscribe({ add: (entry) => this.add(entry), remove: (entry) => this.remove(entry) });
  }

  get stats(): TorrentSeederStats {
    let files = 0;
    let peers = 0;
    for (const { torrent } of this.seeding.values()) {
      if (!torrent?.ready) continue;
      files += 1;
      peers += torrent.numPeers;
    }
    const uploadLimit = this.options.uploadBudget?.rate ?? this.options.uploadLimit ?? null;
    return { files, peers, uploadBytes: this.uploadBytes, uploadLimit };
  }

  /** Resolves once every torrent added so far is seeding (tests; the log line). */
  async ready(): Promise<void> {
    await this.client;
    await Promise.all(
      [...this.seeding.values()].map(({ torrent }) =>
        torrent && !torrent.ready && !torrent.destroyed ? new Promise((resolve) => (torrent.once('ready', resolve), torrent.once('close', resolve))) : undefined,
      ),
    );
  }

  /** Leaves every swarm and closes the client's connections. Safe to call twice. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.unsubscribe();
      clearInterval(this.sharing);
      const client = await this.client?.catch(() => undefined);
      this.seeding.clear();
      if (client) await new Promise<void>((resolve) => client.destroy(() => resolve()));
    })();
    return this.destroyed;
  }

  private add(entry: TorrentEntry): void {
    if (this.destroyed) return;
    const known = this.seeding.get(entry.infoHash);
    if (known) {
      known.entries.push(entry);
      return;
    }
    const seeding: Seeding = { entries: [entry], torrent: undefined };
    this.seeding.set(entry.infoHash, seeding);
    void this.start().then((client) => {
      if (!client || this.destroyed || this.seeding.get(entry.infoHash) !== seeding) return;
      seeding.torrent = this.seed(client, entry, seeding);
    });
  }

  private seed(client: WebTorrent, entry: TorrentEntry, seeding: Seeding): Torrent {
    const torrent = client.add(torrentFile(entry, {}), {
      announce: [this.options.trackerUrl],
      store: ReadOnlyFileStore,
      storeOpts: { file: entry.file, length: entry.size },
      // The index hashed these very bytes (its entries are dropped when a file's size or mtime changes).
      skipVerify: true,
      path: path.dirname(entry.file),
    });
    torrent.on('upload', (bytes: number) => {
      this.uploadBytes += bytes;
      this.throttle?.sent(bytes);
      const credited = seeding.entries[0];
      if (credited) this.options.onUpload?.(credited.src, bytes);
    });
    torrent.on('warning', (error: Error) => this.log(`p2p-seed: torrent seeder: ${entry.id}: ${error.message}`));
    torrent.on('error', (error: Error) => {
      this.log(`p2p-seed: torrent seeder: cannot seed ${entry.id}: ${error.message}`);
      if (this.seeding.get(entry.infoHash) === seeding) this.seeding.delete(entry.infoHash);
    });
    torrent.once('ready', () => {
      if (this.announced) return;
      this.announced = true;
      this.log(`p2p-seed: seeding progressive files over WebTorrent (tracker ${this.options.trackerUrl})`);
    });
    return torrent;
  }

  private remove(entry: TorrentEntry): void {
    const seeding = this.seeding.get(entry.infoHash);
    if (!seeding) return;
    seeding.entries = seeding.entries.filter((other) => other !== entry);
    if (seeding.entries.length > 0) return;
    this.seeding.delete(entry.infoHash);
    seeding.torrent?.destroy();
  }

  /** The WebTorrent client, made on the first file (the library and its WebRTC binding load only when needed). */
  private start(): Promise<WebTorrent | undefined> {
    this.client ??= (async () => {
      const { default: WebTorrentClient } = await import('webtorrent/index.js');
      if (this.destroyed) return undefined;
      reportEndOfCandidates();
      const client = new WebTorrentClient({
        dht: false,
        lsd: false,
        utPex: false,
        utp: false,
        natUpnp: false,
        natPmp: false,
        tracker: { rtcConfig: { iceServers: this.options.iceServers ?? [] } },
        // WebTorrent's own throttle: -1 is none.
        uploadLimit: this.options.uploadBudget?.rate ?? this.options.uploadLimit ?? -1,
      });
      const budget = this.options.uploadBudget;
      if (budget) {
        const throttle = (this.throttle = new SharedThrottle(budget, (rate) => client.throttleUpload(rate)));
        this.sharing = setInterval(() => throttle.update(), SHARE_INTERVAL_MS);
        this.sharing.unref?.();
      }
      client.on('error', (error: Error) => this.log(`p2p-seed: torrent seeder: ${error.message}`));
      if (!client.listening) await new Promise((resolve) => client.once('listening', resolve));
      closeTcpListener(client);
      return client;
    })().catch((error: unknown) => {
      this.log(`p2p-seed: warning: cannot start the torrent seeder: ${(error as Error).message}`);
      return undefined;
    });
    return this.client;
  }

  private log(line: string): void {
    this.options.logger?.(line);
  }
}

/**
 * In Node, WebTorrent always listens on a TCP port (any interface) for BitTorrent peers. Our viewers are browsers,
 * which reach the seeder over WebRTC only: close it rather than leave an unexpected public port open.
 */
function closeTcpListener(client: WebTorrent): void {
  const internals = client as unknown as { _connPool?: { destroy(cb?: () => void): void } | null };
  if (!internals._connPool) return;
  internals._connPool.destroy();
  internals._connPool = null;
}
