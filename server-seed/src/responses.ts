import type { IncomingMessage, ServerResponse } from 'node:http';
import { REVALIDATE } from './content-types.ts';

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  // Link (a progressive file's magnet) and Repr-Digest (its SHA-256) let a player on another origin use its torrent.
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, ETag, Link, Repr-Digest',
  // Lets a player on another origin read segment timings and sizes from Resource Timing.
  'Timing-Allow-Origin': '*',
};

const KEPT_ON_ERROR = new Set([...Object.keys(CORS_HEADERS), 'X-Content-Type-Options'].map((name) => name.toLowerCase()));

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** Headers every response carries, set before anything else so error paths keep them. */
export function setCommonHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

export function sendPreflight(res: ServerResponse): void {
  res.statusCode = 204;
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  // Cache-Control: WebTorrent asks a web seed for pieces with `Cache-Control: no-store`, which a browser sends across
  // origins only after a preflight that allows it.
  res.setHeader('Access-Control-Allow-Headers', 'Range, Cache-Control');
  res.setHeader('Access-Control-Max-Age', '86400');
  res.end();
}

/**
 * A short text/plain answer (errors, notices). Drops what a file response may already have set (ETag,
 * Content-Range, …) so an error never looks like a cacheable piece of the file.
 */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) {
    if (!KEPT_ON_ERROR.has(name.toLowerCase())) res.removeHeader(name);
  }
  const body = Buffer.from(`${message}\n`, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', REVALIDATE);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(req.method === 'HEAD' ? undefined : body);
}
