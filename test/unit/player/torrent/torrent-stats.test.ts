import { describe, expect, it } from 'vitest';
import { TorrentCounters } from '../../../../player/src/torrent/torrent-stats.ts';

describe('TorrentCounters', () => {
  it('counts web seed bytes as HTTP and peer bytes as P2P, and each verified piece once, for its main source', () => {
    const c = new TorrentCounters();
    c.received(0, 16384, { kind: 'http' });
    c.received(1, 16384, { kind: 'peer', peer: 'a' });
    c.received(2, 4096, { kind: 'http' });
    c.received(2, 12288, { kind: 'peer', peer: 'b' });
    for (const i of [0, 1, 2, 2]) c.verified(i);
    c.uploaded(1000);
    c.setPeers(2);
    expect(c.snapshot()).toEqual({
      httpBytes: 20480,
      p2pBytes: 28672,
      uploadBytes: 1000,
      peers: 2,
      segmentsFromHttp: 1,
      segmentsFromPeers: 2,
      rejectedSegments: 0,
      bannedPeers: 0,
    });
  });

  it('tells who fed a piece that failed its hash, and starts that piece afresh', () => {
    const c = new TorrentCounters();
    c.received(5, 8192, { kind: 'peer', peer: 'a' });
    c.received(5, 8192, { kind: 'peer', peer: 'b' });
    expect(c.failed(5)).toEqual({ fromHttp: false, peers: ['a', 'b'] });
    c.received(5, 16384, { kind: 'http' });
    expect(c.failed(5)).toEqual({ fromHttp: true, peers: [] });
    c.received(5, 16384, { kind: 'http' });
    c.verified(5);
    c.banned();
    // Bytes received count whether or not they were kept.
    expect(c.snapshot()).toMatchObject({ httpBytes: 32768, p2pBytes: 16384, rejectedSegments: 2, segmentsFromHttp: 1, bannedPeers: 1 });
  });

  it('gives a fresh object each time', () => {
    const c = new TorrentCounters();
    const first = c.snapshot();
    c.received(0, 1, { kind: 'http' });
    expect(first.httpBytes).toBe(0);
  });
});
