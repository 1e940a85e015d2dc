import type { HeadStart } from './head-start.ts';
import { sha1Hex, type TorrentPieces } from './torrent-file.ts';

/** The torrent session as the early stream reads it, once it is ready. */
export interface ReadySession {
  read(start: number, end: number): AsyncIterator<Uint8Array>;
}

export interface EarlyStreamSource {
  /** The file's size (from the origin's HEAD). */
  length: number;
  /** The session once ready, if its file is this size; undefined when there will be none. */
  session: Promise<ReadySession | undefined>;
  /** Resolves when the media element has been given another URL: reads still waiting then end. */
  released: Promise<void>;
  /** The head start and the .torrent's piece hashes: the file's first pieces are given as soon as they check out. */
  head?: { start: HeadStart; pieces: TorrentPieces; size: number };
  /** Told when a read needs the session (beyond the head start, or a piece of it that did not check out). */
  needSession?(): void;
}

/**
 * Reads of a torrent's file for a media element that was given the stream before the torrent was ready. The
 * file's first pieces come straight from the head start as each arrives and matches the .torrent's SHA-1 (as
 * `<video src>` would get them, and no less checked); everything else, and everything once the session is ready,
 * from the session. Nothing is given that has not matched its hash.
 */
export function earlyReader(source: EarlyStreamSource): (start: number, end: number) => AsyncIterator<Uint8Array> {
  const checked = new Map<number, Promise<boolean>>();
  let ready = false;
  void source.session.then((session) => {
    ready = session !== undefined;
  });
  const verified = (index: number): Promise<boolean> => {
    let result = checked.get(index);
    if (!result) {
      result = verify(source.head!, index);
      checked.set(index, result);
    }
    return result;
  };
  return (start, end) => {
    let closed = false;
    let inner: AsyncIterator<Uint8Array> | undefined;
    const chunks = (async function* (): AsyncGenerator<Uint8Array> {
      let at = start;
      const head = source.head;
      while (head && at <= end && !ready) {
        const index = Math.floor(at / head.pieces.pieceLength);
        const pieceEnd = Math.min((index + 1) * head.pieces.pieceLength, source.length);
        if (pieceEnd > head.size || !(await verified(index)) || closed) break;
        const upTo = Math.min(pieceEnd, end + 1);
        yield head.start.received().slice(at, upTo);
        at = upTo;
      }
      if (at > end || closed) return;
      source.needSession?.();
      const session = await source.session;
      if (!session) {
        await source.released;
        return;
      }
      if (closed) return;
      const reading = (inner = session.read(at, end));
      try {
        for (let next = await reading.next(); !next.done && !closed; next = await reading.next()) yield next.value;
      } finally {
        void reading.return?.();
      }
    })();
    return {
      next: () => chunks.next(),
      return: () => {
        closed = true;
        // At once, not once the generator's pending read is in (it may wait for a piece for long): the session
        // stops asking for what this request wanted.
        void inner?.return?.();
        void chunks.return(undefined);
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  };
}

async function verify(head: NonNullable<EarlyStreamSource['head']>, index: number): Promise<boolean> {
  const from = index * head.pieces.pieceLength;
  const to = Math.min(from + head.pieces.pieceLength, head.pieces.length);
  if (!(await head.start.whenReceived(to))) return false;
  return (await sha1Hex(head.start.received().slice(from, to))) === head.pieces.hash(index);
}
