import type Hls from 'hls.js';
import { describe, expect, it } from 'vitest';
import { bufferAhead, collectDetails } from '../../../../player/src/element/p2p-details.ts';
import type { EngineDetails } from '../../../../player/src/engine/details.ts';
import { emptyStats } from '../../../../player/src/engine/stats.ts';

function media(currentTime: number, ranges: [number, number][], size?: { videoWidth: number; videoHeight: number }): HTMLMediaElement {
  const buffered = { length: ranges.length, start: (i: number) => ranges[i][0], end: (i: number) => ranges[i][1] };
  return { currentTime, buffered, ...size } as unknown as HTMLMediaElement;
}

const engineDetails: EngineDetails = {
  swarmId: 'demo',
  peerId: 'ab'.repeat(20),
  swarms: [{ key: '360p/index.m3u8', infoHash: 'cd'.repeat(20), peers: 1, trackers: [{ url: 'ws://t/announce', status: 'connected' }] }],
  peers: [
    {
      id: 'ef'.repeat(20),
      swarm: '360p/index.m3u8',
      downloadedBytes: 10,
      uploadedBytes: 0,
      downloadRate: 2,
      uploadRate: 0,
      rejectedSegments: 0,
      seeder: false,
      uploads: true,
    },
  ],
};

describe('bufferAhead', () => {
  it('counts the range the playhead is in, to its end', () => {
    expect(bufferAhead(media(3, [[0, 10]]))).toBe(7);
    expect(bufferAhead(media(12, [[0, 10], [11.95, 20]]))).toBe(8);
  });

  it('is zero in a gap or with nothing buffered', () => {
    expect(bufferAhead(media(10.5, [[0, 10], [11, 20]]))).toBe(0);
    expect(bufferAhead(media(0, []))).toBe(0);
  });
});

describe('collectDetails', () => {
  it('with P2P off: no swarm, no peers, the counters and what the media element knows', () => {
    const stats = { ...emptyStats(), httpBytes: 1234 };
    const details = collectDetails({ stats, history: [], mode: 'on', media: media(1, [[0, 5]], { videoWidth: 640, videoHeight: 360 }) });
    expect(details).toEqual({
      mode: 'off',
      stats,
      swarmId: undefined,
      peerId: undefined,
      swarms: [],
      peers: [],
      rendition: { width: 640, height: 360 },
      bufferAhead: 4,
      history: [],
    });
  });

  it("with an engine: its swarms and peers, and hls.js' rendition playing (or loading)", () => {
    const levels = [{ width: 426, height: 240, bitrate: 250_000 }, { width: 640, height: 360, bitrate: 415_000 }];
    const hls = { levels, currentLevel: -1, loadLevel: 1 } as unknown as Hls;
    const details = collectDetails({ stats: emptyStats(), history: [], mode: 'download-only', engine: { details: () => engineDetails }, hls });
    expect(details).toMatchObject({
      mode: 'download-only',
      swarmId: 'demo',
      peerId: engineDetails.peerId,
      swarms: engineDetails.swarms,
      peers: engineDetails.peers,
      rendition: { width: 640, height: 360, bitrate: 415_000 },
      bufferAhead: 0,
    });
  });
});
