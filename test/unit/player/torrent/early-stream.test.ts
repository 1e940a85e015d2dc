import { createHash } from 'node:crypto';
import bencode from 'bencode';
import { describe, expect, it } from 'vitest';
import { earlyReader, type ReadySession } from '../../../../player/src/torrent/early-stream.ts';
import type { HeadStart } from '../../../../player/src/torrent/head-start.ts';
import { readTorrentPieces } from '../../../../player/src/torrent/torrent-file.ts';

const PIECE = 1000;
const FILE = Uint8Array.from({ length: 4500 }, (_, i) => (i * 13 + (i >> 7)) & 0xff);
const sha1 = (bytes: Uint8Array): Uint8Array => createHash('sha1').update(bytes).digest();

/** A single-file .torrent of FILE, as p2p-seed writes them. */
function torrentOf(file: Uint8Array, extra: Record<string, unknown> = {}): Uint8Array {
  const hashes: Uint8Array[] = [];
  for (let at = 0; at < file.length; at += PIECE) hashes.push(sha1(file.subarray(at, at + PIECE)));
  const info = { length: file.length, name: 'film.mp4', 'piece length': PIECE, pieces: Buffer.concat(hashes), ...extra };
  return bencode.encode({ announce: 'ws://h/announce', info });
}

/** A head start whose bytes arrive when the test says. */
function arriving(content: Uint8Array): HeadStart & { arrive(size: number): void; end(): void } {
  let filled = 0;
  let ended = false;
  const waiters = new Set<{ size: number; resolve(ok: boolean): void }>();
  const settle = (): void => {
    for (const w of waiters) {
      if (w.size <= filled || ended) {
        waiters.delete(w);
        w.resolve(w.size <= filled);
      }
    }
  };
  return {
    bytes: new Promise(() => {}),
    received: () => content.subarray(0, filled),
    whenReceived: (size) => new Promise((resolve) => {
      waiters.add({ size, resolve });
      settle();
    }),
    cancel: () => undefined,
    arrive(size) {
      filled = size;
      settle();
    },
    end() {
      ended = true;
      settle();
    },
  };
}

/** A session that reads from FILE (recording where it was asked), ready when the test says. */
function session(): { ready(): void; fail(): void; asked: number[]; promise: Promise<ReadySession | undefined> } {
  const asked: number[] = [];
  let resolve: (s: ReadySession | undefined) => void = () => {};
  const promise = new Promise<ReadySession | undefined>((r) => {
    resolve = r;
  });
  const ready: ReadySession = {
    read(start, end) {
      asked.push(start);
      let done = false;
      return {
        next: async () => {
          if (done) return { done: true, value: undefined };
          done = true;
          return { done: false, value: FILE.slice(start, end + 1) };
        },
      };
    },
  };
  return { ready: () => resolve(ready), fail: () => resolve(undefined), asked, promise };
}

async function collect(chunks: AsyncIterator<Uint8Array>, count = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const next = await chunks.next();
    if (next.done) break;
    parts.push(next.value);
  }
  return Buffer.concat(parts);
}

describe('readTorrentPieces', () => {
  it('reads the info hash, size and piece hashes of a single-file .torrent', async () => {
    const torrent = torrentOf(FILE);
    const pieces = (await readTorrentPieces(torrent))!;
    const info = (bencode.decode(torrent) as { info: unknown }).info;
    expect(pieces.infoHash).toBe(createHash('sha1').update(bencode.encode(info)).digest('hex'));
    expect(pieces).toMatchObject({ length: FILE.length, pieceLength: PIECE });
    expect(pieces.hash(4)).toBe(Buffer.from(sha1(FILE.subarray(4000))).toString('hex'));
    expect(pieces.hash(5)).toBeUndefined();
  });

  it('refuses what it cannot check against: garbage, several files, a piece list of the wrong size', async () => {
    expect(await readTorrentPieces(new TextEncoder().encode('<html>not a torrent</html>'))).toBeUndefined();
    expect(await readTorrentPieces(bencode.encode({ info: { name: 'x', 'piece length': PIECE, pieces: new Uint8Array(20), files: [{ length: 10, path: ['a'] }] } }))).toBeUndefined();
    expect(await readTorrentPieces(torrentOf(FILE, { pieces: new Uint8Array(40) }))).toBeUndefined();
  });
});

describe('earlyReader', () => {
  it('gives the first pieces from the head start as each arrives and checks out, then the rest from the session', async () => {
    const pieces = (await readTorrentPieces(torrentOf(FILE)))!;
    const head = arriving(FILE);
    const s = session();
    const read = earlyReader({ length: FILE.length, session: s.promise, released: new Promise(() => {}), head: { start: head, pieces, size: 2500 } });
    const chunks = read(0, FILE.length - 1);
    const first = chunks.next();
    head.arrive(1200);
    // Piece 0 is whole and matches: given before the session is ready.
    expect((await first).value).toEqual(FILE.subarray(0, 1000));
    head.arrive(2500);
    expect((await chunks.next()).value).toEqual(FILE.subarray(1000, 2000));
    // Piece 2 would end beyond the head start's 2500 bytes: the session gives it.
    const third = chunks.next();
    s.ready();
    expect((await third).value).toEqual(FILE.subarray(2000));
    expect(s.asked).toEqual([2000]);
    expect((await chunks.next()).done).toBe(true);
  });

  it('never gives a piece that does not match its hash', async () => {
    const pieces = (await readTorrentPieces(torrentOf(FILE)))!;
    const tampered = FILE.slice();
    tampered[10] ^= 0xff;
    const head = arriving(tampered);
    head.arrive(2500);
    const s = session();
    const read = earlyReader({ length: FILE.length, session: s.promise, released: new Promise(() => {}), head: { start: head, pieces, size: 2500 } });
    const chunks = read(0, FILE.length - 1);
    let given = false;
    const first = chunks.next().then((r) => {
      given = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(given).toBe(false);
    s.ready();
    expect((await first).value).toEqual(FILE);
    expect(s.asked).toEqual([0]);
  });

  it('a read from the middle waits for the session; without one it waits until released, then ends', async () => {
    const s = session();
    let release = (): void => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const read = earlyReader({ length: FILE.length, session: s.promise, released });
    const chunks = read(3000, 3999);
    let ended = false;
    const next = chunks.next().then((r) => {
      ended = r.done === true;
    });
    s.fail();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toBe(false);
    release();
    await next;
    expect(ended).toBe(true);
    expect((await collect(read(3000, 3999))).length).toBe(0);
  });

  it('a request the media element drops while its read waits for a piece stops that read at once', async () => {
    let stopped = 0;
    const waiting: ReadySession = {
      read: () => ({
        // A piece nobody has sent yet.
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: async () => {
          stopped += 1;
          return { done: true, value: undefined };
        },
      }),
    };
    const read = earlyReader({ length: FILE.length, session: Promise.resolve(waiting), released: new Promise(() => {}) });
    const chunks = read(3000, 3999);
    void chunks.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(0);
    await chunks.return!();
    expect(stopped).toBe(1);
  });
});
