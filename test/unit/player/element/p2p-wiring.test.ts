import Hls from 'hls.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineWarning } from '../../../../player/src/engine/engine.ts';
import { P2PWiring } from '../../../../player/src/element/p2p-wiring.ts';

const SRC = 'http://origin.test/live/master.m3u8';
const LEVEL = 'http://origin.test/live/360p/index.m3u8';
const AUDIO = 'http://origin.test/live/audio/index.m3u8';
const HASHES = 'http://origin.test/live/hashes.json';

type Handler = (event: string, data: unknown) => void;

/** hls.js as the wiring sees it: the test fires its events. */
function fakeHls() {
  const handlers = new Map<string, Handler>();
  const hls = {
    levels: [] as { url: string[] }[],
    audioTracks: [],
    loadLevel: -1,
    firstLevel: 0,
    config: { maxBufferLength: 30 },
    on: (event: string, handler: Handler) => handlers.set(event, handler),
    off: (event: string) => handlers.delete(event),
  };
  const fire = (event: string, data: unknown) => handlers.get(event)?.(event, data);
  return { hls, handlers, fire };
}

/** The origin: swarm.json and a hash manifest whose answers the test sets; records every request. */
function origin() {
  const requests: { url: string; cache: RequestCache | undefined }[] = [];
  const state = { hashStatus: 200, segments: { '360p/seg-40.m4s': 'a'.repeat(64) } as Record<string, string> };
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    requests.push({ url: input, cache: init?.cache });
    if (input.endsWith('swarm.json')) {
      return new Response(JSON.stringify({ version: 1, trackers: ['ws://127.0.0.1:9/announce'], hashes: 'hashes.json' }));
    }
    if (state.hashStatus !== 200) return new Response('', { status: state.hashStatus });
    return new Response(JSON.stringify({ version: 1, algorithm: 'sha-256', segments: state.segments }));
  });
  return { requests, state, fetch };
}

const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('P2PWiring on a live stream', () => {
  let site: ReturnType<typeof origin>;
  let warnings: EngineWarning[];
  let wiring: P2PWiring;
  let hls: ReturnType<typeof fakeHls>;

  beforeEach(async () => {
    site = origin();
    vi.stubGlobal('fetch', site.fetch);
    vi.stubGlobal('document', { baseURI: 'http://origin.test/' });
    warnings = [];
    const ignore = (): void => {};
    wiring = new P2PWiring(SRC, { currentTime: 0 } as HTMLMediaElement, { mode: 'on' }, {
      stats: ignore,
      peerConnect: ignore,
      peerClose: ignore,
      warning: (w) => warnings.push(w),
      segmentRejected: ignore,
    });
    hls = fakeHls();
    wiring.attach(hls.hls as unknown as Hls);
  });

  afterEach(() => {
    wiring.destroy();
    vi.unstubAllGlobals();
  });

  async function configured(): Promise<void> {
    hls.fire(Hls.Events.MANIFEST_LOADED, { url: SRC, sessionData: { 'org.p2p-video.swarm': { URI: 'swarm.json' } } });
    await settle();
    expect(wiring.engine.configured).toBe(true);
    hls.hls.levels = [{ url: [LEVEL] }];
  }

  it('refreshes the hash manifest (no-store) and moves the engine\'s live window on each live playlist update', async () => {
    await configured();
    const setLiveWindow = vi.spyOn(wiring.engine, 'setLiveWindow');
    expect(site.requests.map((r) => [r.url, r.cache])).toEqual([
      ['http://origin.test/live/swarm.json', undefined],
      [HASHES, undefined],
    ]);
    await settle(1000);
    hls.fire(Hls.Events.LEVEL_UPDATED, { level: 0, details: { live: true, startSN: 40, endSN: 45, targetduration: 2 } });
    // At most once a second: the next update moves the window without asking again.
    hls.fire(Hls.Events.LEVEL_UPDATED, { level: 0, details: { live: true, startSN: 41, endSN: 46, targetduration: 2 } });
    await settle();
    expect(site.requests.slice(2).map((r) => [r.url, r.cache])).toEqual([[HASHES, 'no-store']]);
    expect(setLiveWindow.mock.calls).toEqual([
      [LEVEL, 40],
      [LEVEL, 41],
    ]);
    hls.fire(Hls.Events.AUDIO_TRACK_LOADED, { id: 0, track: { url: AUDIO }, details: { live: true, startSN: 7, endSN: 9, targetduration: 2 } });
    expect(setLiveWindow).toHaveBeenLastCalledWith(AUDIO, 7);
    expect(warnings).toEqual([]);
  });

  it('leaves a stream on demand alone', async () => {
    await configured();
    const setLiveWindow = vi.spyOn(wiring.engine, 'setLiveWindow');
    await settle(1000);
    hls.fire(Hls.Events.LEVEL_UPDATED, { level: 0, details: { live: false, startSN: 0, endSN: 99, targetduration: 4 } });
    await settle();
    expect(site.requests).toHaveLength(2);
    expect(setLiveWindow).not.toHaveBeenCalled();
  });

  it('keeps the swarm and the hashes it knows when a refresh fails', async () => {
    await configured();
    await settle(1000);
    site.state.hashStatus = 503;
    hls.fire(Hls.Events.LEVEL_UPDATED, { level: 0, details: { live: true, startSN: 40, endSN: 45, targetduration: 2 } });
    await settle();
    expect(site.requests).toHaveLength(3);
    expect(wiring.engine.configured).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('leaves the swarm when the first load of the manifest fails', async () => {
    site.state.hashStatus = 404;
    hls.fire(Hls.Events.MANIFEST_LOADED, { url: SRC, sessionData: { 'org.p2p-video.swarm': { URI: 'swarm.json' } } });
    await settle();
    expect(wiring.engine.configured).toBe(false);
    expect(warnings.map((w) => w.code)).toEqual(['ERR_HASH_MANIFEST']);
  });
});
