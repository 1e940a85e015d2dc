import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptHeadStart, fetchHeadStart, type HeadStart } from '../../../../player/src/torrent/head-start.ts';

const FILE = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

describe('fetchHeadStart', () => {
  let server: Server;
  let base = '';
  const ranges: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      ranges.push(req.headers.range);
      if (req.url === '/film.mp4') {
        const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (!match) return void res.writeHead(200, { 'Content-Length': FILE.length }).end(FILE);
        const [start, end] = [Number(match[1]), Math.min(Number(match[2]), FILE.length - 1)];
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${FILE.length}`, 'Content-Length': end - start + 1 });
        return void res.end(FILE.subarray(start, end + 1));
      }
      // The whole file whatever the range: an origin without range support.
      if (req.url === '/no-ranges.mp4') return void res.writeHead(200).end(FILE);
      if (req.url === '/wrong-range.mp4') return void res.writeHead(206, { 'Content-Range': `bytes 1000-1999/${FILE.length}` }).end(FILE.subarray(1000, 2000));
      if (req.url === '/slow.mp4') return void res.writeHead(206, { 'Content-Range': `bytes 0-99/${FILE.length}` }).write(FILE.subarray(0, 10));
      res.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const head = (path: string, length: number): Promise<Uint8Array | undefined> => fetchHeadStart(`${base}${path}`, new AbortController().signal, length).bytes;

  it('asks for the first bytes with one range and gives exactly those', async () => {
    ranges.length = 0;
    const bytes = await head('/film.mp4', 65_536);
    expect(ranges).toEqual(['bytes=0-65535']);
    expect(bytes).toEqual(FILE.subarray(0, 65_536));
  });

  it('gives the whole file when it is shorter than asked', async () => {
    expect(await head('/film.mp4', 1_000_000)).toEqual(FILE);
  });

  it('reads only the start of a whole file sent by an origin that ignores ranges', async () => {
    expect(await head('/no-ranges.mp4', 10_000)).toEqual(FILE.subarray(0, 10_000));
  });

  it('gives nothing for an error or for a range that does not start at 0', async () => {
    expect(await head('/missing.mp4', 1000)).toBeUndefined();
    expect(await head('/wrong-range.mp4', 1000)).toBeUndefined();
    expect(await fetchHeadStart('http://127.0.0.1:1/refused.mp4', new AbortController().signal, 1000).bytes).toBeUndefined();
  });

  it('gives nothing once cancelled, or once the element lets go of the source; what arrived stays readable', async () => {
    const cancelled = fetchHeadStart(`${base}/slow.mp4`, new AbortController().signal, 100);
    setTimeout(() => cancelled.cancel(), 50);
    expect(await cancelled.bytes).toBeUndefined();
    expect(cancelled.received()).toEqual(FILE.subarray(0, 10));
    const owner = new AbortController();
    const dropped = fetchHeadStart(`${base}/slow.mp4`, owner.signal, 100);
    setTimeout(() => owner.abort(), 50);
    expect(await dropped.bytes).toBeUndefined();
  });
});

describe('adoptHeadStart', () => {
  const PIECE = 65_536;
  const quiet = { adopted: () => {}, rejected: () => {} };

  /** A torrent of `content` (starting at `offset` within it) as far as adoptHeadStart sees one. */
  function torrentOf(content: Uint8Array, pieceLength = PIECE) {
    const count = Math.ceil(content.length / pieceLength);
    const hashes = Array.from({ length: count }, (_, i) => createHash('sha1').update(content.subarray(i * pieceLength, (i + 1) * pieceLength)).digest('hex'));
    const stored = new Map<number, Uint8Array>();
    const verified: number[] = [];
    const torrent = {
      pieceLength,
      pieces: new Array(count),
      lastPieceLength: content.length - (count - 1) * pieceLength,
      destroyed: false,
      _hashes: hashes,
      store: {
        put(index: number, bytes: Uint8Array, callback: (error?: Error | null) => void) {
          stored.set(index, bytes);
          queueMicrotask(() => callback(null));
        },
      },
      _markVerified(index: number) {
        verified.push(index);
      },
    };
    return { torrent, stored, verified };
  }

  const ready = (bytes: Uint8Array | undefined): HeadStart & { cancelled: boolean } => {
    const start = {
      bytes: Promise.resolve(bytes),
      received: () => bytes ?? new Uint8Array(0),
      whenReceived: async (size: number) => size <= (bytes?.length ?? 0),
      cancelled: false,
      cancel: () => (start.cancelled = true),
    };
    return start;
  };

  it('takes every whole piece of the head start that matches its hash, and counts each as from the origin', async () => {
    const { torrent, stored, verified } = torrentOf(FILE);
    const adopted: [number, number][] = [];
    const report = { adopted: (index: number, bytes: number) => adopted.push([index, bytes]), rejected: () => {} };
    const taken = await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, ready(FILE.slice(0, 150_000)), report);
    expect(taken).toBe(2);
    expect(verified).toEqual([0, 1]);
    expect(adopted).toEqual([
      [0, PIECE],
      [1, PIECE],
    ]);
    expect(stored.get(1)).toEqual(FILE.subarray(PIECE, 2 * PIECE));
  });

  it('takes the short last piece when the head start holds the whole file', async () => {
    const { torrent, verified } = torrentOf(FILE);
    expect(await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, ready(FILE), quiet)).toBe(5);
    expect(verified).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the first piece that does not match: wrong bytes from the origin are never marked', async () => {
    const { torrent, stored, verified } = torrentOf(FILE);
    const bad = FILE.slice(0, 200_000);
    bad[PIECE + 5] ^= 0xff;
    const rejected: number[] = [];
    expect(await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, ready(bad), { adopted: () => {}, rejected: (index) => rejected.push(index) })).toBe(1);
    expect(verified).toEqual([0]);
    expect(rejected).toEqual([1]);
    expect([...stored.keys()]).toEqual([0]);
  });

  it('maps the file into the torrent: a file that starts mid-piece gives only the pieces wholly its own', async () => {
    // Two files in one torrent: 100,000 bytes of another file, then ours.
    const torrentBytes = new Uint8Array(100_000 + FILE.length);
    torrentBytes.set(FILE, 100_000);
    const { torrent, verified } = torrentOf(torrentBytes);
    // Piece 1 (65,536..131,071) starts in the other file; pieces 2 and 3 are bytes 31,072..162,143 of ours, and
    // piece 4 (to byte 227,679) is more than the head start holds.
    expect(await adoptHeadStart(torrent, { offset: 100_000, length: FILE.length }, ready(FILE.slice(0, 200_000)), quiet)).toBe(2);
    expect(verified).toEqual([2, 3]);
  });

  it('does not wait for the rest of a head start that is late: takes the pieces already in and cancels it', async () => {
    const { torrent, verified } = torrentOf(FILE);
    const sofar = FILE.slice(0, 100_000);
    const late = {
      bytes: new Promise<Uint8Array | undefined>(() => {}),
      received: () => sofar,
      whenReceived: () => new Promise<boolean>(() => {}),
      cancelled: false,
      cancel: () => (late.cancelled = true),
    };
    expect(await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, late, quiet, 20)).toBe(1);
    expect(late.cancelled).toBe(true);
    expect(verified).toEqual([0]);
  });

  it('takes nothing without a head start, or from one that failed', async () => {
    const { torrent, verified } = torrentOf(FILE);
    expect(await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, undefined, quiet)).toBe(0);
    expect(await adoptHeadStart(torrent, { offset: 0, length: FILE.length }, ready(undefined), quiet)).toBe(0);
    expect(verified).toEqual([]);
  });
});
