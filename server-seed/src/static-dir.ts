import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import serveStatic from 'serve-static';
import { cacheControlFor, contentTypeFor, REVALIDATE } from './content-types.ts';
import { sendText } from './responses.ts';
import { resolveInside } from './safe-resolve.ts';

export interface StaticDirOptions {
  /** Revalidate everything (the player bundle changes under the same name on every build). */
  revalidateAll?: boolean;
}

export interface StaticRequest {
  segments: readonly string[];
  trailingSlash: boolean;
  /** URL path the directory is mounted at, e.g. '/examples' ('' for the root), for redirects. */
  mount: string;
}

export type StaticOutcome = 'served' | 'missing';

export interface StaticDir {
  readonly dir: string;
  /**
   * Serves a file or a directory's index.html. Answers 'missing' without responding when nothing is there,
   * so the caller can fall back or explain; every other outcome has been answered.
   */
  serve(req: IncomingMessage, res: ServerResponse, request: StaticRequest): Promise<StaticOutcome>;
}

/**
 * One served directory: our own checks (symlinks, directories) first, then serve-static for the bytes,
 * which handles ranges, ETag/Last-Modified and conditional requests.
 */
export function createStaticDir(dir: string, options: StaticDirOptions = {}): StaticDir {
  const root = path.resolve(dir);
  const serve = serveStatic(root, {
    index: false,
    redirect: false,
    fallthrough: false,
    dotfiles: 'ignore',
    setHeaders(res: ServerResponse, filePath: string) {
      const type = contentTypeFor(filePath);
      if (type) res.setHeader('Content-Type', type);
      res.setHeader('Cache-Control', options.revalidateAll ? REVALIDATE : cacheControlFor(filePath));
    },
  });

  function serveFile(req: IncomingMessage, res: ServerResponse, relative: readonly string[]): void {
    // serve-static reads the path from req.url; hand it the already-checked real location.
    req.url = `/${relative.map(encodeURIComponent).join('/')}`;
    serve(req, res, (error) => {
      const status = error?.statusCode ?? 500;
      const contentRange = error?.headers?.['Content-Range'];
      const extra: Record<string, string> = status === 416 && contentRange ? { 'Content-Range': contentRange } : {};
      sendText(req, res, status, (STATUS_CODES[status] ?? 'error').toLowerCase(), extra);
    });
  }

  return {
    dir: root,
    async serve(req, res, { segments, trailingSlash, mount }) {
      const found = await resolveInside(root, segments);
      if (found.kind === 'missing') return 'missing';
      if (found.kind === 'forbidden') {
        sendText(req, res, 403, 'forbidden');
        return 'served';
      }
      if (found.kind === 'file') {
        if (trailingSlash) return 'missing';
        serveFile(req, res, found.relative);
        return 'served';
      }
      if (!trailingSlash) {
        // Relative links in a directory's index.html only work below a trailing slash.
        const location = `${mount}/${segments.map(encodeURIComponent).join('/')}/`.replace(/\/{2,}/g, '/');
        sendText(req, res, 301, `moved to ${location}`, { Location: location });
        return 'served';
      }
      const index = await resolveInside(root, [...found.relative, 'index.html']);
      if (index.kind !== 'file') return 'missing';
      serveFile(req, res, index.relative);
      return 'served';
    },
  };
}
