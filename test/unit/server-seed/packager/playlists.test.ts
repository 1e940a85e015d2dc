import { describe, expect, it } from 'vitest';
import { hashManifest, sha256Hex } from '../../../../server-seed/src/packager/hash-manifest.ts';
import { bitrates, mediaPlaylist, multivariantPlaylist } from '../../../../server-seed/src/packager/playlists.ts';

describe('mediaPlaylist', () => {
  it('writes a VOD fMP4 playlist with the target duration rounded up and six decimals per segment', () => {
    const text = mediaPlaylist([
      { uri: 'seg-00000.m4s', seconds: 4.8, bytes: 1 },
      { uri: 'seg-00001.m4s', seconds: 4.0000001, bytes: 1 },
      { uri: 'seg-00002.m4s', seconds: 0.4213333, bytes: 1 },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:5',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:4.800000,',
        'seg-00000.m4s',
        '#EXTINF:4.000000,',
        'seg-00001.m4s',
        '#EXTINF:0.421333,',
        'seg-00002.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    expect(mediaPlaylist([{ uri: 'a', seconds: 4, bytes: 1 }])).toContain('#EXT-X-TARGETDURATION:4\n');
  });
});

describe('multivariantPlaylist', () => {
  it('announces swarm metadata, the audio group and each variant', () => {
    const text = multivariantPlaylist({
      swarmUri: 'swarm.json',
      swarmDataId: 'org.p2p-video.swarm',
      audio: { groupId: 'audio', name: 'eng', language: 'eng', channels: 2, uri: 'audio/index.m3u8' },
      variants: [
        { uri: '360p/index.m3u8', bandwidth: 500000.2, averageBandwidth: 400000, codecs: ['avc1.64001e', 'mp4a.40.2'], resolution: { width: 640, height: 360 }, frameRate: 25, audio: 'audio' },
      ],
    });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-SESSION-DATA:DATA-ID="org.p2p-video.swarm",URI="swarm.json"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="eng",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=500001,AVERAGE-BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"',
        '360p/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('writes an audio-only variant with nothing but its codec', () => {
    const text = multivariantPlaylist({
      swarmUri: 'swarm.json',
      swarmDataId: 'org.p2p-video.swarm',
      variants: [{ uri: 'audio/index.m3u8', bandwidth: 64000, averageBandwidth: 63000, codecs: ['mp4a.40.2'] }],
    });
    expect(text).not.toContain('#EXT-X-MEDIA');
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=64000,AVERAGE-BANDWIDTH=63000,CODECS="mp4a.40.2"\naudio/index.m3u8\n');
  });
});

describe('bitrates', () => {
  it('gives the peak segment bit rate and the average over the playlist', () => {
    expect(bitrates([{ uri: 'a', seconds: 4, bytes: 100_000 }, { uri: 'b', seconds: 2, bytes: 100_000 }])).toEqual({ peak: 400_000, average: 1_600_000 / 6 });
    expect(bitrates([])).toEqual({ peak: 0, average: 0 });
  });
});

describe('hashManifest', () => {
  it('lists sha-256 digests by URL, sorted', () => {
    const digests = new Map([['720p/seg-00001.m4s', sha256Hex(new Uint8Array([2]))], ['720p/init.mp4', sha256Hex(new TextEncoder().encode('abc'))]]);
    const manifest = JSON.parse(hashManifest(digests)) as { version: number; algorithm: string; segments: Record<string, string> };
    expect(manifest.version).toBe(1);
    expect(manifest.algorithm).toBe('sha-256');
    expect(Object.keys(manifest.segments)).toEqual(['720p/init.mp4', '720p/seg-00001.m4s']);
    expect(manifest.segments['720p/init.mp4']).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
