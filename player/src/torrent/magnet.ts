/** The parts of a magnet URI (BEP 9, with BEP 19's `ws` web seeds) the player uses. */
export interface Magnet {
  /** The v1 info hash, 40 lowercase hex digits. */
  infoHash: string;
  /** `dn`: the display name (for a single-file torrent, the file name). */
  name?: string;
  /** `tr`: tracker URLs. */
  trackers: string[];
  /** `ws`: web seeds, URLs of the file itself (HTTP(S) once resolved). */
  webSeeds: string[];
  /** `xs`: where the .torrent file can be fetched (HTTP(S) once resolved; `urn:btpk:` and the like are dropped). */
  torrentUrls: string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function isMagnetUri(value: string): boolean {
  return /^magnet:\?/i.test(value.trim());
}

/** Parses a magnet URI; undefined when it is not one or names no v1 info hash. */
export function parseMagnet(uri: string): Magnet | undefined {
  const text = uri.trim();
  if (!isMagnetUri(text)) return undefined;
  const magnet: Magnet = { infoHash: '', trackers: [], webSeeds: [], torrentUrls: [] };
  for (const param of text.slice(text.indexOf('?') + 1).split('&')) {
    const eq = param.indexOf('=');
    if (eq <= 0) continue;
    const key = param.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(key === 'dn' ? param.slice(eq + 1).replace(/\+/g, ' ') : param.slice(eq + 1));
    } catch {
      continue;
    }
    if (key === 'xt' && !magnet.infoHash) magnet.infoHash = infoHashOf(value) ?? '';
    else if (key === 'dn' && magnet.name === undefined) magnet.name = value;
    else if (key === 'tr') pushUnique(magnet.trackers, value);
    else if (key === 'ws') pushUnique(magnet.webSeeds, value);
    else if (key === 'xs') pushUnique(magnet.torrentUrls, value);
  }
  return magnet.infoHash ? magnet : undefined;
}

/** `urn:btih:` with 40 hex digits or 32 base32 characters, as hex; undefined otherwise. */
function infoHashOf(xt: string): string | undefined {
  const match = /^urn:btih:([0-9a-z]+)$/i.exec(xt);
  const id = match?.[1];
  if (!id) return undefined;
  if (/^[0-9a-f]{40}$/i.test(id)) return id.toLowerCase();
  if (id.length !== 32) return undefined;
  let bits = 0;
  let value = 0;
  let hex = '';
  for (const char of id.toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) return undefined;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      hex += ((value >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return hex;
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/**
 * Turns relative URLs in a magnet (a site may write `ws=/film.mp4`) into absolute ones. Trackers a browser cannot
 * use (HTTP, UDP) are dropped; a relative one (`tr=/announce`) is the site's WebSocket tracker, as in swarm.json.
 */
export function resolveMagnet(magnet: Magnet, base: string): Magnet {
  const resolve = (list: string[], protocols: RegExp): string[] =>
    list.flatMap((value) => {
      try {
        const url = new URL(value, base).href;
        return protocols.test(url) ? [url] : [];
      } catch {
        return [];
      }
    });
  return {
    ...magnet,
    trackers: magnet.trackers.flatMap((value) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return /^wss?:\/\//i.test(value) ? [value] : [];
      return resolve([value], /^https?:/i).map((url) => url.replace(/^http/i, 'ws'));
    }),
    webSeeds: resolve(magnet.webSeeds, /^https?:/i),
    torrentUrls: resolve(magnet.torrentUrls, /^https?:/i),
  };
}
