import { beaconLinkOf, torrentLinkOf } from './link-header.ts';
import { isMagnetUri, parseMagnet, resolveMagnet, type Magnet } from './magnet.ts';

/**
 * What is known of a progressive file's torrent before WebTorrent starts: the .torrent itself, or at least the
 * info hash with where to find the metadata (a magnet).
 */
export interface TorrentSource {
  /** The .torrent file's bytes, when the origin serves one. */
  torrentFile?: Uint8Array;
  /** The info hash the origin's magnet names; a .torrent with another one is not used. */
  infoHash?: string;
  name?: string;
  trackers: string[];
  /** BEP 19 web seeds from the magnet (the .torrent's url-list comes with it). */
  webSeeds: string[];
  /** Where else the .torrent can be fetched (magnet `xs`). */
  torrentUrls: string[];
  /** The file's own URL (the `src`), a web seed as well when the torrent holds that one file. */
  fileUrl?: string;
  /** The file's size as the origin's HEAD gave it: the media element may be given the stream before WebTorrent is ready. */
  fileLength?: number;
  /** Where the site takes viewers' beacons for this file (its download counts), when its response links one. */
  beacon?: string;
}

export interface FindOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Milliseconds each request to the origin may take. */
  timeoutMs?: number;
}

const TIMEOUT_MS = 5000;
/** A .torrent of a single file is a few kB (20 bytes per piece); anything this big is not one. */
const MAX_TORRENT_BYTES = 8 * 1024 * 1024;

/** The URL of the .torrent served beside a file: `film.mp4` → `film.mp4.torrent` (query kept, fragment dropped). */
export function torrentFileUrl(src: string): string {
  const url = new URL(src);
  url.hash = '';
  url.pathname += '.torrent';
  return url.href;
}

/**
 * Finds the torrent of `src`: a `magnet:` URI is one; for an HTTP(S) file the origin announces it with a
 * `Link: <magnet:…>; rel="alternate"` header (asked with HEAD) or serves `<src>.torrent`. Both are asked at once,
 * so a file with a torrent starts one round trip sooner. Undefined when there is none (the file plays over HTTP).
 */
export async function findTorrentSource(src: string, options: FindOptions = {}): Promise<TorrentSource | undefined> {
  if (isMagnetUri(src)) {
    const magnet = parseMagnet(src);
    return magnet ? fromMagnet(resolveMagnet(magnet, src)) : undefined;
  }
  const url = new URL(src);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const [head, torrentFile] = await Promise.all([
    askOrigin(src, 'HEAD', options),
    askOrigin(torrentFileUrl(src), 'GET', options).then((response) => (response ? readTorrentFile(response) : undefined)),
  ]);
  options.signal?.throwIfAborted();
  const link = head?.ok ? torrentLinkOf(head.headers.get('link')) : undefined;
  const parsed = link ? parseMagnet(link) : undefined;
  // The size of the file itself (not of an encoded body).
  const size = head?.ok && !head.headers.get('content-encoding') ? Number(head.headers.get('content-length') ?? Number.NaN) : Number.NaN;
  const fileLength = Number.isSafeInteger(size) && size > 0 ? size : undefined;
  const beacon = head?.ok ? beaconLinkOf(head.headers.get('link'), url.href) : undefined;
  if (parsed) return { ...fromMagnet(resolveMagnet(parsed, src)), torrentFile, fileUrl: url.href, fileLength, beacon };
  if (torrentFile) return { torrentFile, trackers: [], webSeeds: [], torrentUrls: [], fileUrl: url.href, fileLength, beacon };
  return undefined;
}

/** The beacon the origin links from `src`'s response (its HEAD), if any: where viewers of the file report. */
export async function findBeaconLink(src: string, options: FindOptions = {}): Promise<string | undefined> {
  const head = await askOrigin(src, 'HEAD', options);
  return head?.ok ? beaconLinkOf(head.headers.get('link'), new URL(src).href) : undefined;
}

/** One request to the origin, given up after the timeout or on abort; undefined when it failed. */
function askOrigin(target: string, method: 'HEAD' | 'GET', options: FindOptions): Promise<Response | undefined> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const signal = anySignal(AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS), options.signal);
  return fetchImpl(target, { method, signal }).then(
    (response) => response,
    () => undefined,
  );
}

// AbortSignal.any is too recent to rely on (Safari 17.4).
function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  if (!b) return a;
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return controller.signal;
}

function fromMagnet(magnet: Magnet): TorrentSource {
  return {
    infoHash: magnet.infoHash,
    name: magnet.name,
    trackers: magnet.trackers,
    webSeeds: magnet.webSeeds,
    torrentUrls: magnet.torrentUrls,
  };
}

/** The body of a .torrent response, if it looks like one (a bencoded dictionary of sane size). */
async function readTorrentFile(response: Response): Promise<Uint8Array | undefined> {
  if (!response.ok) return undefined;
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_TORRENT_BYTES) return undefined;
  try {
    const bytes = new Uint8Array(await response.arrayBuffer());
    // 'd': a bencoded dictionary. An HTML error page served with 200 is not a torrent.
    return bytes.length > 0 && bytes.length <= MAX_TORRENT_BYTES && bytes[0] === 0x64 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
