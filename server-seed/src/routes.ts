import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collection } from './collection.ts';
import type { CollectionCache } from './collection-cache.ts';
import { REVALIDATE } from './content-types.ts';
import { parseRequestPath } from './request-path.ts';
import { ALLOWED_METHODS, sendPreflight, sendText, setCommonHeaders } from './responses.ts';
import type { OriginCounter } from './origin-counter.ts';
import type { StaticDir } from './static-dir.ts';
import type { LiveHttp } from './live/live-http.ts';
import type { TorrentHttp } from './torrent/torrent-http.ts';

export interface RouteTable {
  root: StaticDir;
  player: StaticDir;
  examples: StaticDir;
  collection: CollectionCache;
  /** Counts media bytes sent from the collection. */
  origin?: OriginCounter;
  /** The body of GET /stats. */
  stats?: () => unknown;
  /** Answers POST /beacon (viewers' reports for the download counts); absent: 404. */
  beacon?: RequestHandler;
  /** The site's dashboard page (GET /dashboard/) and the charting library it loads (/dashboard/vendor/*). */
  dashboard?: { page: StaticDir; vendor: StaticDir };
  /** GET /metrics, Prometheus text. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** Live streams followed in encoders' folders, under /live/<name>/. */
  live?: LiveHttp;
  /** Progressive files' torrents: `<file>.torrent`, the files' Link and Repr-Digest headers, `torrent` in the listing. */
  torrents?: TorrentHttp;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const PLAYER_BUNDLE = 'p2p-video.js';
const SERVICE_WORKER = 'p2p-video-sw.js';
const NOT_BUILT = 'p2p-video player is not built: run `npm run build`';

/**
 * The URL layout: /player/* (the built bundle), /examples/* (pages), /live/<name>/* (live streams), /collection.json (the listing), /stats,
 * /metrics, POST /beacon, /dashboard/ (the site's figures), / (the collection's own index.html, else the gallery) and everything else from the
 * collection (with `<file>.torrent` for each progressive file).
 */
export function createRouter(table: RouteTable): RequestHandler {
  const serialized = new WeakMap<Collection, { body: Buffer; etag: string }>();

  async function sendCollection(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let listing: Collection;
    try {
      listing = await table.collection.get();
      if (table.torrents) listing = table.torrents.decorate(listing, req);
    } catch (error) {
      sendText(req, res, 500, `cannot list the collection: ${(error as Error).message}`);
      return;
    }
    let entry = serialized.get(listing);
    if (!entry) {
      const body = Buffer.from(`${JSON.stringify(listing, null, 2)}\n`, 'utf8');
      entry = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
      serialized.set(listing, entry);
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', REVALIDATE);
    res.setHeader('ETag', entry.etag);
    if (matchesEtag(req.headers['if-none-match'], entry.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', entry.body.length);
    res.end(req.method === 'HEAD' ? undefined : entry.body);
  }

  return async function route(req, res) {
    setCommonHeaders(res);
    if (req.method === 'OPTIONS') {
      sendPreflight(res);
      return;
    }
    if (isBeaconPath(req.url)) {
      if (req.method === 'POST' && table.beacon) {
        await table.beacon(req, res);
        return;
      }
      req.resume();
      if (table.beacon) sendText(req, res, 405, 'method not allowed: send beacons with POST', { Allow: 'POST, OPTIONS' });
      else sendText(req, res, 404, 'not found: download counts are off');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      sendText(req, res, 405, 'method not allowed', { Allow: ALLOWED_METHODS });
      return;
    }

    const target = parseRequestPath(req.url);
    if (!target.ok) {
      sendText(req, res, target.status, target.message);
      return;
    }
    const { segments, trailingSlash } = target;
    const [first, ...rest] = segments;

    if (first === 'player') {
      // The player's service worker streams progressive files to pages anywhere on the site, not only below /player/.
      if (rest.length === 1 && rest[0] === SERVICE_WORKER && !trailingSlash) res.setHeader('Service-Worker-Allowed', '/');
      if ((await table.player.serve(req, res, { segments: rest, trailingSlash, mount: '/player' })) === 'served') return;
      if (rest.length === 1 && rest[0] === PLAYER_BUNDLE && !trailingSlash) sendText(req, res, 503, NOT_BUILT);
      else sendText(req, res, 404, 'not found');
      return;
    }
    if (first === 'examples') {
      if ((await table.examples.serve(req, res, { segments: rest, trailingSlash, mount: '/examples' })) === 'missing') {
        sendText(req, res, 404, 'not found');
      }
      return;
    }
    if (first === 'dashboard' && table.dashboard) {
      const [dir, ...inside] = rest;
      const served =
        dir === 'vendor'
          ? await table.dashboard.vendor.serve(req, res, { segments: inside, trailingSlash, mount: '/dashboard/vendor' })
          : await table.dashboard.page.serve(req, res, { segments: rest, trailingSlash, mount: '/dashboard' });
      if (served === 'missing') sendText(req, res, 404, 'not found');
      return;
    }
    if (first === 'live' && table.live) {
      // The origin's bill includes live segments, counted for the stream's title (live/<name>).
      table.origin?.watch(req, res, segments[segments.length - 1] ?? '', segments);
      await table.live.serve(req, res, rest, trailingSlash);
      return;
    }
    if (first === 'collection.json' && rest.length === 0 && !trailingSlash) {
      await sendCollection(req, res);
      return;
    }
    if (first === 'stats' && rest.length === 0 && !trailingSlash && table.stats) {
      const body = `${JSON.stringify(await table.stats(), null, 2)}\n`;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (first === 'metrics' && rest.length === 0 && !trailingSlash && table.metrics) {
      const body = await table.metrics.render();
      res.setHeader('Content-Type', table.metrics.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (segments.length === 0) {
      const page = { segments: ['index.html'], trailingSlash: false, mount: '' };
      if ((await table.root.serve(req, res, page)) === 'served') return;
      if ((await table.examples.serve(req, res, { ...page, segments: ['gallery.html'] })) === 'served') return;
      sendText(req, res, 404, 'no gallery page: examples/gallery.html is missing');
      return;
    }
    if (table.torrents && !trailingSlash && (await table.torrents.serveTorrent(req, res, segments)) === 'served') return;
    table.origin?.watch(req, res, segments[segments.length - 1] ?? '', segments);
    await table.torrents?.addFileHeaders(req, res, segments);
    if ((await table.root.serve(req, res, { segments, trailingSlash, mount: '' })) === 'missing') {
      sendText(req, res, 404, 'not found');
    }
  };
}

function isBeaconPath(url: string | undefined): boolean {
  const target = parseRequestPath(url);
  return target.ok && target.segments.length === 1 && target.segments[0] === 'beacon' && !target.trailingSlash;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
