import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collection } from './collection.ts';
import type { CollectionCache } from './collection-cache.ts';
import { REVALIDATE } from './content-types.ts';
import { parseRequestPath } from './request-path.ts';
import { ALLOWED_METHODS, sendPreflight, sendText, setCommonHeaders } from './responses.ts';
import type { OriginCounter } from './origin-counter.ts';
import type { StaticDir } from './static-dir.ts';

export interface RouteTable {
  root: StaticDir;
  player: StaticDir;
  examples: StaticDir;
  collection: CollectionCache;
  /** Counts media bytes sent from the collection. */
  origin?: OriginCounter;
  /** The body of GET /stats. */
  stats?: () => unknown;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const PLAYER_BUNDLE = 'p2p-video.js';
const NOT_BUILT = 'p2p-video player is not built: run `npm run build`';

/**
 * The URL layout: /player/* (the built bundle), /examples/* (pages), /collection.json (the listing), /stats,
 * / (the collection's own index.html, else the gallery) and everything else from the collection.
 */
export function createRouter(table: RouteTable): RequestHandler {
  const serialized = new WeakMap<Collection, { body: Buffer; etag: string }>();

  async function sendCollection(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let listing: Collection;
    try {
      listing = await table.collection.get();
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
    if (first === 'collection.json' && rest.length === 0 && !trailingSlash) {
      await sendCollection(req, res);
      return;
    }
    if (first === 'stats' && rest.length === 0 && !trailingSlash && table.stats) {
      const body = `${JSON.stringify(table.stats(), null, 2)}\n`;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
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
    table.origin?.watch(req, res, segments[segments.length - 1] ?? '');
    if ((await table.root.serve(req, res, { segments, trailingSlash, mount: '' })) === 'missing') {
      sendText(req, res, 404, 'not found');
    }
  };
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
