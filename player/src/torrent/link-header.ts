/** One link of an HTTP `Link` header (RFC 8288): its target and its parameters (names lowercased). */
export interface LinkValue {
  uri: string;
  params: Record<string, string>;
}

/** Parses a `Link` header value; malformed links are skipped, never thrown on. */
export function parseLinkHeader(header: string): LinkValue[] {
  const links: LinkValue[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(header[i])) i += 1;
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i += 1;
      continue;
    }
    if (header[i] !== '<') {
      // Not the start of a link: drop everything up to the next comma outside quotes.
      i = nextComma(header, i);
      continue;
    }
    const close = header.indexOf('>', i);
    if (close < 0) break;
    const link: LinkValue = { uri: header.slice(i + 1, close).trim(), params: {} };
    i = close + 1;
    for (;;) {
      skipSpace();
      if (header[i] !== ';') break;
      i += 1;
      skipSpace();
      const nameStart = i;
      while (i < n && !/[=;,\s]/.test(header[i])) i += 1;
      const name = header.slice(nameStart, i).toLowerCase();
      skipSpace();
      let value = '';
      if (header[i] === '=') {
        i += 1;
        skipSpace();
        if (header[i] === '"') {
          i += 1;
          while (i < n && header[i] !== '"') {
            if (header[i] === '\\' && i + 1 < n) i += 1;
            value += header[i];
            i += 1;
          }
          i += 1;
        } else {
          const valueStart = i;
          while (i < n && header[i] !== ';' && header[i] !== ',') i += 1;
          value = header.slice(valueStart, i).trim();
        }
      }
      // The first occurrence of a parameter wins (RFC 8288, 3).
      if (name && !(name in link.params)) link.params[name] = value;
    }
    links.push(link);
    i = nextComma(header, i);
  }
  return links;
}

function nextComma(header: string, from: number): number {
  let quoted = false;
  for (let i = from; i < header.length; i += 1) {
    const c = header[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i += 1;
    else if (c === ',' && !quoted) return i + 1;
  }
  return header.length;
}

/** The link relation naming where a progressive file's viewers send their beacons (p2p-seed's `/beacon`). */
export const BEACON_REL = 'https://p2p-video.org/rel/beacon';

/** The beacon URL a file's response links to (resolved against `base`), if any. */
export function beaconLinkOf(header: string | null | undefined, base: string): string | undefined {
  if (!header) return undefined;
  for (const link of parseLinkHeader(header)) {
    if (!(link.params.rel ?? '').split(/\s+/).includes(BEACON_REL)) continue;
    try {
      const url = new URL(link.uri, base);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    } catch {
      // Not a URL: no beacon.
    }
  }
  return undefined;
}

/**
 * The magnet URI a file's response links to as its torrent (`Link: <magnet:?…>; rel="alternate"`), if any. A
 * `type` other than application/x-bittorrent means the link is about something else.
 */
export function torrentLinkOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const link of parseLinkHeader(header)) {
    const rels = (link.params.rel ?? '').toLowerCase().split(/\s+/);
    const type = link.params.type?.toLowerCase();
    if (!rels.includes('alternate') || !/^magnet:\?/i.test(link.uri)) continue;
    if (type && type !== 'application/x-bittorrent') continue;
    return link.uri;
  }
  return undefined;
}
