import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Collection, Title } from '../collection.ts';
import { REVALIDATE } from '../content-types.ts';
import { sendText } from '../responses.ts';
import type { TorrentEntry, TorrentIndex } from './torrent-index.ts';
import { magnetUri, torrentFile, type TorrentLocation } from './torrent-info.ts';

export const TORRENT_TYPE = 'application/x-bittorrent';
/** The link relation naming where a progressive file's viewers send their beacons (the download counts). */
export const BEACON_REL = 'https://p2p-video.org/rel/beacon';
const SUFFIX = '.torrent';

export interface TorrentHttpOptions {
  index: TorrentIndex;
  /** The tracker's path on this server ('/announce'); none: torrents and magnets name no tracker. */
  trackerPath?: string;
  /** host:port to name when a request has no usable Host header. */
  fallbackHost: () => string;
  /** The beacon's path on this server ('/beacon'), linked from every progressive file; none: no counts. */
  beaconPath?: string;
}

/** The HTTP face of the collection's torrents: `<file>.torrent`, the headers of the files themselves, the listing. */
export interface TorrentHttp {
  /**
   * Answers GET/HEAD of `<file>.torrent` when `<file>` is a progressive title (503 while it is being hashed);
   * 'pass' for any other path, which is then served (or not found) as a plain file.
   */
  serveTorrent(req: IncomingMessage, res: ServerResponse, segments: readonly string[]): Promise<'served' | 'pass'>;
  /** Sets `Link` (the magnet) and `Repr-Digest` on a response for a progressive file whose hashes are known. */
  addFileHeaders(req: IncomingMessage, res: ServerResponse, segments: readonly string[]): Promise<void>;
  /** The listing with `torrent` on each progressive title whose hashes are known, magnets as this request reached us. */
  decorate(listing: Collection, req: IncomingMessage): Collection;
}

/** The absolute URLs of one request's view of the server: scheme and Host as the request reached it. */
interface Origin {
  http: string;
  ws: string;
}

export function createTorrentHttp(options: TorrentHttpOptions): TorrentHttp {
  const { index } = options;
  const decorated = new WeakMap<Collection, { version: number; byOrigin: Map<string, Collection> }>();

  const locate = (entry: TorrentEntry, origin: Origin): TorrentLocation & { fileUrl: string; torrentUrl: string } => ({
    tracker: options.trackerPath ? `${origin.ws}${options.trackerPath}` : undefined,
    fileUrl: `${origin.http}${entry.src}`,
    torrentUrl: `${origin.http}${entry.src}${SUFFIX}`,
  });

  return {
    async serveTorrent(req, res, segments) {
      const last = segments[segments.length - 1];
      if (!last?.endsWith(SUFFIX)) return 'pass';
      const id = [...segments.slice(0, -1), last.slice(0, -SUFFIX.length)].join('/');
      if (!index.isProgressive(id)) return 'pass';
      const entry = await index.current(id);
      if (!entry) {
        sendText(req, res, 503, 'the torrent of this file is being computed; try again in a few seconds', { 'Retry-After': '5' });
        return 'served';
      }
      res.setHeader('Cache-Control', REVALIDATE);
      const body = torrentFile(entry, locate(entry, originOf(req, options.fallbackHost)));
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      res.setHeader('Content-Type', TORRENT_TYPE);
      res.setHeader('ETag', etag);
      if (matchesEtag(req.headers['if-none-match'], etag)) {
        res.statusCode = 304;
        res.end();
        return 'served';
      }
      res.setHeader('Content-Length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
      return 'served';
    },

    async addFileHeaders(req, res, segments) {
      const id = segments.join('/');
      if (!index.isProgressive(id)) return;
      const entry = await index.current(id);
      if (!entry) return;
      const links = [`<${magnetUri(entry, locate(entry, originOf(req, options.fallbackHost)))}>; rel="alternate"; type="${TORRENT_TYPE}"`];
      if (options.beaconPath) links.push(`<${options.beaconPath}>; rel="${BEACON_REL}"`);
      res.setHeader('Link', links.join(', '));
      res.setHeader('Repr-Digest', `sha-256=:${entry.sha256.toString('base64')}:`);
    },

    decorate(listing, req) {
      if (index.size === 0) return listing;
      const origin = originOf(req, options.fallbackHost);
      let memo = decorated.get(listing);
      if (!memo || memo.version !== index.version) decorated.set(listing, (memo = { version: index.version, byOrigin: new Map() }));
      let result = memo.byOrigin.get(origin.http);
      if (!result) {
        const withTorrent = (title: Title): Title => {
          const entry = title.type === 'progressive' ? index.get(title.id) : undefined;
          if (!entry) return title;
          const where = locate(entry, origin);
          return { ...title, torrent: { infoHash: entry.infoHash, torrentUrl: `${entry.src}${SUFFIX}`, magnet: magnetUri(entry, where) } };
        };
        result = { ...listing, titles: listing.titles.map(withTorrent) };
        // A handful of host names reach a site; anything beyond is someone making them up.
        if (memo.byOrigin.size >= 16) memo.byOrigin.clear();
        memo.byOrigin.set(origin.http, result);
      }
      return result;
    },
  };
}

const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/** Scheme and host as the request reached us: TLS here or at a proxy that says so, and its Host header. */
function originOf(req: IncomingMessage, fallbackHost: () => string): Origin {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase();
  const secure = (req.socket as TLSSocket).encrypted === true || forwarded === 'https';
  const header = req.headers.host;
  const host = header && HOST.test(header) ? header.toLowerCase() : fallbackHost();
  return { http: `${secure ? 'https' : 'http'}://${host}`, ws: `${secure ? 'wss' : 'ws'}://${host}` };
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
