import type { Torrent, TorrentFile } from 'webtorrent/dist/webtorrent.min.js';
import { sha1Hex } from './torrent-file.ts';

/**
 * The file's first bytes, asked of the origin the moment it says the file has a torrent: while WebTorrent loads and
 * reads the torrent, they are already on their way, as `<video src>` would ask for them. The torrent session takes
 * every whole piece among them whose SHA-1 matches the torrent (see `adoptHeadStart`); nothing else is used.
 */
export interface HeadStart {
  /** The first bytes of the file (at most HEAD_START_BYTES), or undefined when the origin would not give them. */
  readonly bytes: Promise<Uint8Array | undefined>;
  /** What has arrived so far (empty before the response, or when it failed). */
  received(): Uint8Array;
  /** Resolves true once the first `size` bytes have arrived, false if the transfer ends with fewer. */
  whenReceived(size: number): Promise<boolean>;
  /** Stops the transfer (the torrent no longer waits for it). */
  cancel(): void;
}

/**
 * How long a torrent whose metadata is in waits for the rest of the head start before it takes what has arrived
 * and asks for the other pieces itself (a slow origin: peers may be faster).
 */
const HEAD_START_WAIT_MS = 2000;

/** About the first seconds of a 500 kbit/s film: what a player needs to start, not a large part of any file. */
export const HEAD_START_BYTES = 1024 * 1024;

export function fetchHeadStart(url: string, signal: AbortSignal, length = HEAD_START_BYTES, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): HeadStart {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  signal.addEventListener('abort', stop, { once: true });
  const waiters = new Set<{ size: number; resolve(arrived: boolean): void }>();
  const progress = {
    out: new Uint8Array(0),
    filled: 0,
    grew: () => {
      for (const waiter of waiters) {
        if (waiter.size > progress.filled) continue;
        waiters.delete(waiter);
        waiter.resolve(true);
      }
    },
  };
  let ended = false;
  const bytes = readHead(url, length, controller.signal, fetchImpl, progress).finally(() => {
    signal.removeEventListener('abort', stop);
    ended = true;
    for (const waiter of waiters) waiter.resolve(waiter.size <= progress.filled);
    waiters.clear();
  });
  return {
    bytes,
    received: () => progress.out.subarray(0, progress.filled),
    whenReceived: (size) => {
      if (size <= progress.filled) return Promise.resolve(true);
      if (ended) return Promise.resolve(false);
      return new Promise((resolve) => waiters.add({ size, resolve }));
    },
    cancel: stop,
  };
}

async function readHead(
  url: string,
  length: number,
  signal: AbortSignal,
  fetchImpl: typeof fetch,
  progress: { out: Uint8Array; filled: number; grew(): void },
): Promise<Uint8Array | undefined> {
  try {
    // A single `bytes=0-N` range is a CORS-safelisted header: a cross-origin web seed needs no preflight for it.
    const response = await fetchImpl(url, { headers: { Range: `bytes=0-${length - 1}` }, signal });
    // 206 for the range asked (Content-Range may be unreadable cross-origin); 200 when the origin sends the whole
    // file, of which only the start is read.
    const range = response.headers.get('content-range');
    if (!(response.status === 200 || (response.status === 206 && (range === null || /^bytes 0-/i.test(range)))) || !response.body) return undefined;
    const reader = response.body.getReader();
    const out = (progress.out = new Uint8Array(length));
    while (progress.filled < length) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, length - progress.filled);
      out.set(value.subarray(0, take), progress.filled);
      progress.filled += take;
      progress.grew();
    }
    await reader.cancel().catch(() => undefined);
    return out.subarray(0, progress.filled);
  } catch {
    // Cancelled or failed: what arrived stays readable with received().
    return undefined;
  }
}

/**
 * Puts the whole pieces of `file` that the head start holds into the torrent's store, in order, as long as each
 * matches its SHA-1 (the first that does not, and all after it, are left to WebTorrent). Waits for the head start
 * at most HEAD_START_WAIT_MS, then takes what has arrived and cancels the rest. Returns how many pieces were taken; `adopted` is told of each before it is marked,
 * `rejected` of a piece that did not match (the origin sent wrong bytes).
 */
export async function adoptHeadStart(
  torrent: Pick<Torrent, 'pieceLength' | 'pieces' | 'lastPieceLength' | 'destroyed' | '_hashes' | 'store' | '_markVerified'>,
  file: Pick<TorrentFile, 'offset' | 'length'> | undefined,
  headStart: HeadStart | undefined,
  report: { adopted(index: number, bytes: number): void; rejected(index: number): void },
  waitMs = HEAD_START_WAIT_MS,
): Promise<number> {
  if (!headStart || !file) return 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  const done = await Promise.race([headStart.bytes.then(() => true), late]).finally(() => clearTimeout(timer));
  if (!done) headStart.cancel();
  const bytes = headStart.received();
  const pieceLength = torrent.pieceLength;
  const count = torrent.pieces.length;
  const available = Math.min(bytes.length, file.length);
  const pieces: { index: number; bytes: Uint8Array<ArrayBuffer> }[] = [];
  for (let index = Math.ceil(file.offset / pieceLength); index < count; index += 1) {
    const start = index * pieceLength - file.offset;
    const size = index === count - 1 ? torrent.lastPieceLength : pieceLength;
    if (start + size > available) break;
    pieces.push({ index, bytes: new Uint8Array(bytes.subarray(start, start + size)) });
  }
  const hashes = await Promise.all(pieces.map((piece) => sha1Hex(piece.bytes)));
  let taken = 0;
  for (const [i, piece] of pieces.entries()) {
    if (torrent.destroyed) break;
    if (hashes[i] !== torrent._hashes[piece.index]) {
      report.rejected(piece.index);
      break;
    }
    // The store answers reads of a piece from memory as soon as it is put, while it is written (to OPFS, a few ms
    // a piece): no need to wait for the write. A store that cannot write fails WebTorrent's own writes too.
    torrent.store.put(piece.index, piece.bytes, () => undefined);
    report.adopted(piece.index, piece.bytes.length);
    torrent._markVerified(piece.index);
    taken += 1;
  }
  return taken;
}
