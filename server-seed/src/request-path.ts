export type RequestPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; status: 400 | 403 | 404; message: string };

/**
 * Turns a request target into decoded path segments, refusing anything that could climb out of a served
 * directory. Decoding happens exactly once, here, so `%2e%2e` and `..%2f` are seen as the `..` they are;
 * backslashes count as separators so the rules hold on every platform.
 */
export function parseRequestPath(target: string | undefined): RequestPath {
  let pathname = target ?? '/';
  if (!pathname.startsWith('/')) {
    // Absolute-form targets (`GET http://host/path`), which proxies send.
    try {
      pathname = new URL(pathname).pathname;
    } catch {
      return { ok: false, status: 400, message: 'bad request target' };
    }
  }
  pathname = pathname.replace(/[?#].*$/s, '');

  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, message: 'malformed percent-encoding in the path' };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400, message: 'NUL byte in the path' };

  const segments: string[] = [];
  for (const part of decoded.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') return { ok: false, status: 403, message: 'forbidden: the path leaves the served directory' };
    if (part.startsWith('.')) return { ok: false, status: 404, message: 'not found' };
    segments.push(part);
  }
  return { ok: true, segments, trailingSlash: /[\\/]$/.test(decoded) };
}
