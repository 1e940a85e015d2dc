import BitField from 'bitfield';
// WebTorrent's own lt_donthave extension (a dependency of webtorrent): how a wire takes a "don't have piece N".
import ltDontHave from 'lt_donthave';
import { describe, expect, it } from 'vitest';
import type { Torrent, Wire } from 'webtorrent/dist/webtorrent.min.js';
import { gateWebSeed } from '../../../../player/src/torrent/web-seed.ts';

const PIECES = 8;

interface Pending {
  piece: number;
  offset: number;
  length: number;
  callback(error: Error | null, data?: Uint8Array): void;
}

/**
 * The torrent's side of a web seed's wire as WebTorrent 2.8 has it (every piece shown, requests waiting for an
 * answer, lt_donthave in use), and the WebConn behind it, whose HTTP answers the test gives.
 */
function webSeed(): {
  torrent: Torrent;
  wire: Wire & { requests: Pending[] };
  failed: Error[];
  /** What the torrent asks of the web seed: the wire's request, then the origin's HTTP answer. */
  ask(piece: number, status: number): Promise<void>;
} {
  const failed: Error[] = [];
  const bits = new BitField(PIECES);
  for (let i = 0; i < PIECES; i += 1) bits.set(i, true);
  const wire = {
    type: 'webSeed',
    destroyed: false,
    peerPieces: bits,
    requests: [] as Pending[],
    _callback(request: Pending, error: Error | null, data?: Uint8Array) {
      request.callback(error, data);
    },
  } as unknown as Wire & { requests: Pending[]; lt_donthave: { onMessage(message: Uint8Array): void } };
  const Extension = ltDontHave();
  const extension = new Extension(wire);
  extension.onExtendedHandshake();
  (wire as { lt_donthave: unknown }).lt_donthave = extension;
  let answer = 200;
  const conn = {
    httpRequest: async (_index: number, _offset: number, length: number, callback: (error: Error | null, data?: Uint8Array) => void) => {
      if (answer === 200) callback(null, new Uint8Array(length));
      else callback(new Error(`Unexpected HTTP status code ${answer}`));
    },
  };
  const torrent = { _peers: new Map([['http://origin/film.mp4', { wire, conn }]]) } as unknown as Torrent;
  return {
    torrent,
    wire,
    failed,
    ask: async (piece, status) => {
      answer = status;
      const pending: Pending = { piece, offset: 0, length: 65536, callback: (error) => error && failed.push(error) };
      wire.requests.push(pending);
      // As WebConn does for each request: an HTTP error leaves the torrent's request open (no reply is sent).
      await conn.httpRequest(piece, 0, 65536, (error) => {
        if (!error) wire.requests.splice(wire.requests.indexOf(pending), 1);
      });
      await new Promise<void>((resolve) => queueMicrotask(resolve));
    },
  };
}

describe('gateWebSeed', () => {
  it('shows the piece picker only the pieces the origin may be asked for now, whatever bitfield the wire gets', () => {
    const seed = webSeed();
    let allowed = new Set([2, 3]);
    gateWebSeed(seed.torrent, seed.wire, (index) => allowed.has(index));
    expect([...Array(PIECES).keys()].filter((i) => seed.wire.peerPieces.get(i))).toEqual([2, 3]);
    allowed = new Set([5]);
    expect([...Array(PIECES).keys()].filter((i) => seed.wire.peerPieces.get(i))).toEqual([5]);
    // A bitfield message replaces the wire's bitfield: the new one is gated too.
    const next = new BitField(PIECES);
    next.set(5, true);
    next.set(6, true);
    (seed.wire as { peerPieces: unknown }).peerPieces = next;
    expect([...Array(PIECES).keys()].filter((i) => seed.wire.peerPieces.get(i))).toEqual([5]);
  });

  it('a piece the origin refused is failed at once and no longer shown, so its blocks are asked of peers', async () => {
    const seed = webSeed();
    gateWebSeed(seed.torrent, seed.wire, () => true);
    await seed.ask(4, 503);
    expect(seed.failed.map((e) => e.message)).toEqual(['peer sent donthave']);
    expect(seed.wire.requests).toEqual([]);
    expect(seed.wire.peerPieces.get(4)).toBe(false);
    expect(seed.wire.peerPieces.get(3)).toBe(true);
  });

  it('a refused piece the video has read past (hidden by the gate) is failed all the same', async () => {
    const seed = webSeed();
    let reading = 4;
    gateWebSeed(seed.torrent, seed.wire, (index) => index >= reading && index <= reading + 1);
    const asked = seed.ask(4, 503);
    // The video moves on while the origin answers: piece 4 is out of the origin's window before its 503 is in.
    reading = 6;
    await asked;
    // Had the failure been dropped, the request would wait for good and its blocks would never be asked of a peer.
    expect(seed.failed.map((e) => e.message)).toEqual(['peer sent donthave']);
    expect(seed.wire.requests).toEqual([]);
    reading = 4;
    expect(seed.wire.peerPieces.get(4)).toBe(false);
    expect(seed.wire.peerPieces.get(5)).toBe(true);
  });

  it('a piece the origin gave changes nothing', async () => {
    const seed = webSeed();
    gateWebSeed(seed.torrent, seed.wire, () => true);
    await seed.ask(1, 200);
    expect(seed.failed).toEqual([]);
    expect(seed.wire.requests).toEqual([]);
    expect(seed.wire.peerPieces.get(1)).toBe(true);
  });
});
