import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createCollectionCache, type CollectionCache } from './collection-cache.ts';
import type { Collection } from './collection.ts';
import { createMetrics, type LiveSwarm } from './counts/metrics.ts';
import { SiteCounts } from './counts/site-counts.ts';
import { SqliteCountsStore } from './counts/store.ts';
import { dashboardDir, defaultExamplesDir, defaultPlayerDir, uplotDir } from './paths.ts';
import { sendText } from './responses.ts';
import { createRouter } from './routes.ts';
import { createStaticDir } from './static-dir.ts';
import { OriginCounter } from './origin-counter.ts';
import { startMirror, type MirrorOptions, type RunningMirror } from './seeder/mirror-seeder.ts';
import { Seeder, titleRenditions, type SeederOptions } from './seeder/seeder.ts';
import { addBeaconToOwnMetadata, BEACON_PATH, ensureSwarmMetadata } from './swarm-metadata.ts';
import { createTorrentHttp } from './torrent/torrent-http.ts';
import { TorrentIndex } from './torrent/torrent-index.ts';
import { TorrentSeeder } from './torrent/torrent-seeder.ts';
import { LIVE_MOUNT, LiveHttp, liveSrc } from './live/live-http.ts';
import { LiveStream } from './live/live-stream.ts';
import { attachTracker } from './tracker.ts';
import type { RunningTracker } from './tracker.ts';
import { TokenBucket } from '../../player/src/engine/rate-limit.ts';

export interface ServerOptions {
  /** The collection directory. */
  root: string;
  /** Default 8080; 0 picks any free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Where the built player is (default: the repository's player/dist). */
  playerDir?: string;
  /** Where the example pages are (default: the repository's examples/). */
  examplesDir?: string;
  /** Receives readable log lines. Silent by default. */
  logger?: (line: string) => void;
  /** Runs the WebSocket tracker at /announce on the same port. Default true. */
  tracker?: boolean;
  /**
   * Lets the tracker serve any swarm, not only those of the collection's streams (for pages that set their own
   * `swarm-id`, and for tests). Default false.
   */
  openTracker?: boolean;
  /**
   * With the tracker on: gives every multivariant playlist without swarm metadata a swarm.json naming this
   * server's tracker (and the playlist its session-data line), so viewers of every stream find each other.
   * Default true.
   */
  swarmMetadata?: boolean;
  /**
   * With the tracker on: runs a WebRTC seeder holding every segment of every stream with swarm metadata, which
   * joins a swarm when a viewer announces it, and a WebTorrent seeder of every progressive file. Default true.
   */
  seed?: boolean;
  /** ICE servers of the seeder (default none: viewers reach it directly). */
  seedIceServers?: RTCIceServer[];
  /** The seeder's peer cap and upload limits (bytes per second); see SeederOptions. */
  seedLimits?: Pick<SeederOptions, 'maxPeers' | 'uploadLimit' | 'peerUploadLimit'>;
  /** Also seeds these streams of other origins (see startMirror); their figures appear in /stats as `mirror`. */
  mirror?: MirrorOptions;
  /**
   * Download counts: viewers' beacons (POST /beacon) and the site's own bytes per title, kept in a SQLite file
   * (`path`, shared safely with other processes) and shown in /stats and /metrics. `beaconsPerMinute` limits each
   * address (default 120). Default: `<root>/.p2p-seed/counts.db` (if it cannot be opened, a warning and no counts);
   * false: no counts (/beacon answers 404).
   */
  counts?: { path: string; beaconsPerMinute?: number } | false;
  /**
   * Live streams: folders an encoder writes HLS into, each served at /live/<name>/master.m3u8 (`name` default: the
   * folder's name) with a sliding hash manifest, and seeded segment by segment as they are written.
   */
  live?: { dir: string; name?: string }[];
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080/ */
  url: string;
  port: number;
  host: string;
  server: Server;
  /** Media bytes sent from the collection (also at GET /stats). */
  origin: OriginCounter;
  /** Present unless started with `tracker: false`. */
  tracker?: RunningTracker;
  /** The download counts; absent when started with `counts: false`. */
  counts?: SiteCounts;
  /** The torrents of the progressive files (hashed in the background after start; `idle()` waits for them). */
  torrents: TorrentIndex;
  /** Seeds them over WebRTC; present with the tracker and the seeder on. */
  torrentSeeder?: TorrentSeeder;
  /** The live streams being followed (`live` option), by name. */
  live: Map<string, LiveStream>;
  /** Stops listening and drops every connection, keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
}

interface KnownSwarm {
  /** The title id. */
  title: string;
  /** The rendition's media playlist, relative to the multivariant playlist. */
  rendition: string;
}

/**
 * The info hashes of the collection's swarms (every rendition of every stream with a swarm id), learnt again
 * when asked for one it does not know, at most every 10 s (a title packaged or added since).
 */
function knownSwarms(
  root: string,
  collection: ReturnType<typeof createCollectionCache>,
): { has(hash: string): Promise<boolean>; describe(hash: string): Promise<KnownSwarm | undefined> } {
  let hashes = new Map<string, KnownSwarm>();
  let learnt = 0;
  let learning: Promise<void> | undefined;
  const learn = async (): Promise<void> => {
    const next = new Map<string, KnownSwarm>();
    for (const title of (await collection.get()).titles) {
      if (title.type !== 'hls') continue;
      const renditions = await titleRenditions(root, title.src).catch(() => new Map<string, { key: string }>());
      for (const [hash, { key }] of renditions) next.set(hash, { title: title.id, rendition: key });
    }
    hashes = next;
    learnt = Date.now();
  };
  const describe = async (hash: string): Promise<KnownSwarm | undefined> => {
    if (!hashes.has(hash) && Date.now() - learnt >= 10_000) await (learning ??= learn().finally(() => (learning = undefined)));
    return hashes.get(hash);
  };
  return { describe, has: async (hash) => (await describe(hash)) !== undefined };
}

const withLive = new WeakMap<Collection, Collection>();

/** The listing with a title for each live stream (`live/<name>`, `live: true`), made once per listing. */
function withLiveTitles(listing: Collection, names: string[]): Collection {
  if (names.length === 0) return listing;
  let out = withLive.get(listing);
  if (!out) {
    const live = names.map((name) => ({ id: `${LIVE_MOUNT}/${name}`, name, src: liveSrc(name), type: 'hls' as const, duration: null, renditions: [], bytes: 0, live: true as const }));
    out = { ...listing, titles: [...listing.titles, ...live] };
    withLive.set(listing, out);
  }
  return out;
}

/** Opens the download counts' store: an explicit path must open; the default one may fail (a read-only collection). */
function openCounts(root: string, option: ServerOptions['counts'], log: (line: string) => void): SqliteCountsStore | undefined {
  if (option === false) return undefined;
  const file = option ? path.resolve(option.path) : path.join(root, '.p2p-seed', 'counts.db');
  try {
    return new SqliteCountsStore(file);
  } catch (error) {
    const message = `cannot open the download counts at ${file}: ${(error as Error).message}`;
    if (option) throw new Error(message, { cause: error });
    log(`p2p-seed: warning: ${message}; counting is off`);
    return undefined;
  }
}

/** Serves a collection directory, the player bundle and the example pages over HTTP. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.logger ?? (() => {});
  const root = path.resolve(options.root);
  const port = options.port ?? 8080;
  const host = options.host ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port ${String(port)}: use an integer from 0 to 65535`);
  }
  await assertDirectory(root);

  const torrents = new TorrentIndex({ root, logger: log });
  const scanned = createCollectionCache(root, { logger: log });
  // Every listing the server reads tells the torrent index of new or changed progressive files.
  const collection: CollectionCache = {
    get: () =>
      scanned.get().then((listing) => {
        torrents.update(listing);
        return listing;
      }),
  };
  const liveStreams = new Map<string, { stream: LiveStream; dir: string }>();
  for (const { dir, name = path.basename(path.resolve(dir)) } of options.live ?? []) {
    if (liveStreams.has(name)) throw new Error(`two live streams are named ${name}: give them different folder names`);
    liveStreams.set(name, { stream: new LiveStream({ dir, name, logger: log }), dir });
  }
  const store = openCounts(root, options.counts, log);
  const origin = new OriginCounter({ byPath: store !== undefined });
  const counts = store
    ? new SiteCounts({
        store,
        // Live streams are counted as titles of their own.
        collection: () => collection.get().then((listing) => withLiveTitles(listing, [...liveStreams.keys()])),
        origin,
        beaconsPerMinute: options.counts ? options.counts.beaconsPerMinute : undefined,
        logger: log,
      })
    : undefined;
  let tracker: RunningTracker | undefined;
  let seeder: Seeder | undefined;
  let torrentSeeder: TorrentSeeder | undefined;
  // host:port for URLs when a request names no host (known once listening).
  let hostPort = '';
  let mirror: RunningMirror | undefined;
  let known: ReturnType<typeof knownSwarms> | undefined;
  // Viewers per swarm the tracker holds now, named by title and rendition where the swarm is the collection's.
  const live = async (): Promise<LiveSwarm[]> =>
    Promise.all(
      (tracker?.swarms() ?? []).map(async ({ infoHash, peers }) => {
        const file = torrents.byInfoHash(infoHash);
        if (file) return { infoHash, title: file.id, rendition: null, peers };
        const stream = liveByHash(infoHash);
        if (stream) return { infoHash, title: liveSrc(stream.name), rendition: stream.key ?? null, peers };
        const swarm = await known?.describe(infoHash).catch(() => undefined);
        return { infoHash, title: swarm?.title ?? null, rendition: swarm?.rendition ?? null, peers };
      }),
    );
  const liveByHash = (hash: string): LiveStream | undefined => [...liveStreams.values()].find(({ stream }) => stream.infoHash === hash)?.stream;
  const route = createRouter({
    root: createStaticDir(root),
    player: createStaticDir(options.playerDir ?? defaultPlayerDir, { revalidateAll: true }),
    examples: createStaticDir(options.examplesDir ?? defaultExamplesDir),
    dashboard: { page: createStaticDir(dashboardDir, { revalidateAll: true }), vendor: createStaticDir(uplotDir) },
    // The listing shows the live streams too (the gallery plays them).
    collection: { get: () => collection.get().then((listing) => withLiveTitles(listing, [...liveStreams.keys()])) },
    origin,
    stats: async () => ({
      origin: origin.snapshot,
      tracker: { swarms: tracker?.swarms() ?? [] },
      seeder: seeder?.stats ?? null,
      torrents: {
        files: torrents.size,
        peers: torrentSeeder?.stats.peers ?? 0,
        uploadBytes: torrentSeeder?.stats.uploadBytes ?? 0,
        uploadLimit: torrentSeeder?.stats.uploadLimit ?? null,
      },
      ...(mirror ? { mirror: mirror.stats } : {}),
      counts: counts ? await counts.report() : null,
      live: { swarms: await live() },
    }),
    beacon: counts ? (req, res) => counts.handleBeacon(req, res) : undefined,
    metrics: createMetrics({ counts: counts ? () => counts.report() : undefined, live }),
    live: liveStreams.size > 0 ? new LiveHttp([...liveStreams.values()]) : undefined,
    torrents: createTorrentHttp({
      index: torrents,
      trackerPath: options.tracker === false ? undefined : '/announce',
      fallbackHost: () => hostPort,
      beaconPath: counts ? BEACON_PATH : undefined,
    }),
  });

  const server = createServer((req, res) => {
    const target = req.url ?? '';
    route(req, res).catch((error: unknown) => {
      log(`p2p-seed: error serving ${target}: ${(error as Error).message}`);
      sendText(req, res, 500, 'internal server error');
    });
  });
  await listen(server, port, host).catch(async (error: unknown) => {
    await torrents.destroy();
    await counts?.close();
    throw error;
  });
  // After a successful listen an 'error' (e.g. EMFILE while accepting) must not take the process down.
  server.on('error', (error) => log(`p2p-seed: server error: ${error.message}`));

  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${actualPort}/`;
  hostPort = `${urlHost(host)}:${actualPort}`;
  known = knownSwarms(root, collection);
  const swarms = known;
  tracker =
    options.tracker === false
      ? undefined
      : attachTracker(server, {
          logger: log,
          onAnnounce: (hash) => seeder?.onAnnounce(hash),
          allow: options.openTracker ? undefined : (hash) => torrents.byInfoHash(hash) !== undefined || liveByHash(hash) !== undefined || swarms.has(hash),
        });
  const trackerNote = tracker ? `  tracker ws://${urlHost(host)}:${actualPort}/announce` : '';
  log(`p2p-seed: serving ${root} at ${url} — gallery ${url}  embed ${url}examples/embed.html${trackerNote}`);
  // Scanning now surfaces broken playlists in the log at start rather than on the first page view.
  const warmUp = collection.get().then(
    () => undefined,
    (error: unknown) => log(`p2p-seed: warning: cannot list the collection: ${(error as Error).message}`),
  );

  if (tracker && options.swarmMetadata !== false) {
    // Before startServer resolves, so the first viewer already finds the tracker.
    await warmUp;
    await ensureSwarmMetadata(root, await collection.get(), log);
  }
  if (counts && options.swarmMetadata !== false) {
    await warmUp;
    await addBeaconToOwnMetadata(root, await collection.get(), log);
  }
  // One --upload-limit for every seeder of this server: the collection's, the torrent seeder's and a mirror's.
  const uploadLimit = options.seedLimits?.uploadLimit;
  const uploadBudget = uploadLimit ? new TokenBucket(uploadLimit) : undefined;
  if (tracker && options.seed !== false) {
    const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    seeder = new Seeder({
      ...options.seedLimits,
      uploadBudget,
      root,
      trackerUrl: `ws://${urlHost(local)}:${actualPort}/announce`,
      iceServers: options.seedIceServers,
      logger: log,
      onUpload: (title, bytes) => counts?.addSeederUpload(title, bytes),
    });
    await seeder.load(await collection.get());
    torrentSeeder = new TorrentSeeder({
      index: torrents,
      trackerUrl: `ws://${urlHost(local)}:${actualPort}/announce`,
      iceServers: options.seedIceServers,
      uploadBudget,
      logger: log,
      onUpload: (src, bytes) => counts?.addSeederUpload(src, bytes),
    });
  }
  for (const { stream } of liveStreams.values()) {
    await stream.start();
    seeder?.addLive(stream, liveSrc(stream.name));
    log(`p2p-seed: live ${stream.name}: ${url.replace(/\/$/, '')}${liveSrc(stream.name)}`);
  }
  if (options.mirror) {
    mirror = await startMirror({ logger: log, iceServers: options.seedIceServers, limits: { ...options.seedLimits, uploadBudget }, ...options.mirror }).catch(
      async (error: unknown) => {
        seeder?.destroy();
        await Promise.all([torrentSeeder?.destroy(), torrents.destroy(), tracker?.close(), new Promise((resolve) => server.close(resolve))]);
        await counts?.close();
        throw error;
      },
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port: actualPort,
    host,
    server,
    tracker,
    origin,
    counts,
    torrents,
    torrentSeeder,
    live: new Map([...liveStreams].map(([name, { stream }]) => [name, stream])),
    close() {
      for (const { stream } of liveStreams.values()) stream.close();
      seeder?.destroy();
      void mirror?.close();
      closing ??= Promise.all([
        torrentSeeder?.destroy(),
        torrents.destroy(),
        // Upgraded tracker sockets are not HTTP connections: closeAllConnections() leaves them open.
        tracker?.close(),
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
      ])
        .then(() => warmUp)
        // Last: the bytes of the final responses are written before the store closes.
        .then(() => counts?.close());
      return closing;
    },
  };
}

/** Rejects with a readable message unless `dir` is a readable directory. */
export async function assertDirectory(dir: string): Promise<void> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new Error(`not a directory: ${dir}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`collection directory not found: ${dir}`, { cause: error });
    if (code === undefined) throw error;
    throw new Error(`cannot read the collection directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(listenError(error, port, host));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  const message =
    error.code === 'EADDRINUSE'
      ? `port ${port} is in use on ${host}`
      : error.code === 'EACCES'
        ? `no permission to listen on port ${port} (ports below 1024 need privileges)`
        : error.code === 'EADDRNOTAVAIL'
          ? `address ${host} is not available on this machine`
          : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
            ? `cannot resolve host ${host}`
            : `cannot listen on ${host}:${port}: ${error.message}`;
  return Object.assign(new Error(message, { cause: error }), { code: error.code });
}

/** A host as it appears in a URL a person can open. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
