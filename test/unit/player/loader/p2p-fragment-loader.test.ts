import {
  LoadStats,
  type Fragment,
  type FragmentLoaderContext,
  type HlsConfig,
  type Loader,
  type LoaderCallbacks,
  type LoaderConfiguration,
  type LoaderOnAbort,
  type LoaderOnError,
  type LoaderOnSuccess,
  type LoaderOnTimeout,
  type LoaderStats,
} from 'hls.js';
import { describe, expect, it, vi } from 'vitest';
import type { FetchPlan, PeerOutcome, SegmentInfo } from '../../../../player/src/engine/engine.ts';
import { createP2PFragmentLoader, type LoaderEngine } from '../../../../player/src/loader/p2p-fragment-loader.ts';

const LEVEL = 'http://origin.test/v/360p/index.m3u8';
const EXPECTED_BYTES = 50_000;

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function segmentBytes(size: number, seed = 3): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 13 + seed) & 0xff;
  return bytes;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function fragContext(sn: number | 'initSegment', extra: Partial<FragmentLoaderContext> = {}): FragmentLoaderContext {
  const frag = { sn, level: 0, start: typeof sn === 'number' ? sn * 4 : 0, duration: 4, type: 'main' } as unknown as Fragment;
  return {
    url: `http://origin.test/v/360p/seg-${String(sn)}.m4s`,
    responseType: 'arraybuffer',
    type: 'media-fragment' as FragmentLoaderContext['type'],
    frag,
    part: null,
    ...extra,
  };
}

const loaderConfig: LoaderConfiguration = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000, timeoutRetry: null, errorRetry: null },
  maxRetry: 0,
  timeout: 0,
  retryDelay: 0,
  maxRetryDelay: 0,
};

/** hls.js' HTTP loader, faked in the style of its MockXhr: it records what it was given and the test answers. */
function fakeHttpLoaderClass() {
  const instances: FakeHttpLoader[] = [];
  class FakeHttpLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = new LoadStats();
    config: LoaderConfiguration | null = null;
    callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    aborted = 0;
    destroyed = 0;

    constructor(readonly hlsConfig: HlsConfig) {
      instances.push(this);
    }

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      // As hls.js' own loaders do.
      if (this.stats.loading.start) throw new Error('Loader can only be used once.');
      this.stats.loading.start = performance.now();
      this.context = context;
      this.config = config;
      this.callbacks = callbacks;
    }

    abort(): void {
      this.aborted += 1;
      this.stats.aborted = true;
    }

    destroy(): void {
      this.destroyed += 1;
      this.callbacks = null;
    }

    respond(bytes: Uint8Array): void {
      // hls.js' loaders stay silent once aborted.
      if (this.stats.aborted || !this.callbacks || !this.context) return;
      const now = performance.now();
      this.stats.loading.first = now;
      this.stats.loading.end = now;
      this.stats.loaded = bytes.byteLength;
      this.stats.total = bytes.byteLength;
      this.callbacks.onSuccess({ url: this.context.url, data: bytes.slice().buffer }, this.stats, this.context, null);
    }

    fail(code: number, text: string): void {
      if (this.stats.aborted || !this.callbacks || !this.context) return;
      this.stats.loading.end = performance.now();
      this.callbacks.onError({ code, text }, this.context, null, this.stats);
    }

    time(): void {
      if (this.stats.aborted || !this.callbacks || !this.context) return;
      this.callbacks.onTimeout(this.stats, this.context, null);
    }
  }
  return { FakeHttpLoader, instances };
}

function fakeEngine(plan: () => Promise<FetchPlan>, resumedOk = true, httpOk = true) {
  const calls = {
    plan: [] as SegmentInfo[],
    httpLoaded: [] as { info: SegmentInfo; bytes: Uint8Array; fromPeerFirst: number | undefined }[],
    countHttp: [] as number[],
    checkResumed: [] as { sn: number; bytes: number; peerId: string }[],
  };
  const engine: LoaderEngine = {
    plan: (info) => {
      calls.plan.push(info);
      return plan();
    },
    httpLoaded: (info, bytes, fromPeerFirst) => calls.httpLoaded.push({ info, bytes: bytes.slice(), fromPeerFirst }),
    countHttp: (bytes) => calls.countHttp.push(bytes),
    verifiesHttp: !httpOk,
    checkHttp: async () => httpOk,
    checkResumed: async (info, bytes, peerId) => {
      calls.checkResumed.push({ sn: info.sn, bytes: bytes.byteLength, peerId });
      return resumedOk;
    },
  };
  return { engine, calls };
}

function callbackRecorder() {
  const callbacks = {
    onSuccess: vi.fn<LoaderOnSuccess<FragmentLoaderContext>>(),
    onError: vi.fn<LoaderOnError<FragmentLoaderContext>>(),
    onTimeout: vi.fn<LoaderOnTimeout<FragmentLoaderContext>>(),
    onAbort: vi.fn<LoaderOnAbort<FragmentLoaderContext>>(),
  };
  return callbacks;
}

interface Setup {
  plan?: () => Promise<FetchPlan>;
  /** What the engine says of a segment a peer began and HTTP finished. */
  resumedOk?: boolean;
  /** What the engine says of a segment from the origin (false: verify-http found a mismatch). */
  httpOk?: boolean;
  describe?: (frag: Fragment) => { levelUrl: string; expectedBytes: number } | undefined;
}

function setup(opts: Setup = {}) {
  const { FakeHttpLoader, instances } = fakeHttpLoaderClass();
  const { engine, calls } = fakeEngine(opts.plan ?? (() => Promise.reject(new Error('plan() was not expected'))), opts.resumedOk, opts.httpOk);
  const describeCalls: Fragment[] = [];
  const describeFrag = opts.describe ?? (() => ({ levelUrl: LEVEL, expectedBytes: EXPECTED_BYTES }));
  const Loader = createP2PFragmentLoader({
    engine,
    describe: (frag) => {
      describeCalls.push(frag);
      return describeFrag(frag);
    },
  });
  const hlsConfig = { loader: FakeHttpLoader } as unknown as HlsConfig;
  const loader = new Loader(hlsConfig);
  const callbacks = callbackRecorder();
  return { loader, hlsConfig, instances, calls, describeCalls, callbacks };
}

function peerPlan() {
  const outcome = deferred<PeerOutcome>();
  const abort = vi.fn();
  const plan: FetchPlan = { kind: 'peer', peerId: 'peer-1', outcome: outcome.promise, abort };
  return { plan, outcome, abort };
}

function delivered(callbacks: ReturnType<typeof callbackRecorder>): Uint8Array {
  expect(callbacks.onSuccess).toHaveBeenCalledTimes(1);
  const data = callbacks.onSuccess.mock.calls[0][0].data;
  expect(data).toBeInstanceOf(ArrayBuffer);
  return new Uint8Array(data as ArrayBuffer);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('P2P fragment loader', () => {
  it('delivers a segment from the store with honest stats', async () => {
    const backing = segmentBytes(1_000);
    const bytes = backing.subarray(100, 600); // a view into a bigger buffer
    const { loader, calls, callbacks, instances, describeCalls } = setup({ plan: async () => ({ kind: 'store', bytes }) });
    const context = fragContext(12);

    loader.load(context, loaderConfig, callbacks);
    expect(loader.context).toBe(context);
    await settle();

    expect(describeCalls).toEqual([context.frag]);
    expect(calls.plan).toEqual([
      { levelUrl: LEVEL, sn: 12, url: context.url, start: 48, duration: 4, expectedBytes: EXPECTED_BYTES },
    ]);
    const data = delivered(callbacks);
    expect(data.byteLength).toBe(500);
    expect((callbacks.onSuccess.mock.calls[0][0].data as ArrayBuffer).byteLength).toBe(500);
    expect(same(data, backing.subarray(100, 600))).toBe(true);
    const [response, stats, ctx, details] = callbacks.onSuccess.mock.calls[0];
    expect(response.url).toBe(context.url);
    expect(stats).toBe(loader.stats);
    expect(ctx).toBe(context);
    expect(details).toBeNull();
    expect(stats.loaded).toBe(500);
    expect(stats.total).toBe(500);
    expect(stats.loading.start).toBeGreaterThan(0);
    expect(stats.loading.first).toBeGreaterThanOrEqual(stats.loading.start);
    expect(stats.loading.end).toBeGreaterThanOrEqual(stats.loading.first);
    expect(instances).toHaveLength(0);
    expect(calls.httpLoaded).toEqual([]);
    expect(calls.countHttp).toEqual([]);
    expect(callbacks.onError).not.toHaveBeenCalled();
  });

  it('delivers a whole-buffer store segment', async () => {
    const bytes = segmentBytes(300);
    const { loader, callbacks } = setup({ plan: async () => ({ kind: 'store', bytes }) });
    loader.load(fragContext(1), loaderConfig, callbacks);
    await settle();
    const data = delivered(callbacks);
    expect(data.byteLength).toBe(300);
    expect(same(data, bytes)).toBe(true);
  });

  it('fetches nothing and calls nothing back when the engine was destroyed while planning (the source is gone)', async () => {
    const { loader, instances, callbacks } = setup({ plan: async () => ({ kind: 'gone' }) });
    loader.load(fragContext(3), loaderConfig, callbacks);
    await settle();
    expect(instances).toEqual([]);
    expect(callbacks.onSuccess).not.toHaveBeenCalled();
    expect(callbacks.onError).not.toHaveBeenCalled();
  });

  it('with verify-http, fails the load (hls.js retries) when the origin sends bytes that do not match', async () => {
    const { loader, instances, calls, callbacks } = setup({ plan: async () => ({ kind: 'http', reason: 'no peer holds it' }), httpOk: false });
    loader.load(fragContext(5), loaderConfig, callbacks);
    await settle();
    instances[0]!.respond(segmentBytes(1_000));
    await settle();
    expect(callbacks.onSuccess).not.toHaveBeenCalled();
    expect(callbacks.onError).toHaveBeenCalledTimes(1);
    expect(callbacks.onError.mock.calls[0][0]).toEqual({ code: 0, text: 'the segment does not match its published hash' });
    expect(calls.httpLoaded).toEqual([]);
  });

  it('refuses to be used twice', async () => {
    const { loader, callbacks } = setup({ plan: async () => ({ kind: 'store', bytes: segmentBytes(10) }) });
    loader.load(fragContext(1), loaderConfig, callbacks);
    expect(() => loader.load(fragContext(2), loaderConfig, callbacks)).toThrow('Loader can only be used once.');
  });

  it('follows an http plan through hls.js’ loader, sharing its stats', async () => {
    const { loader, hlsConfig, instances, calls, callbacks } = setup({ plan: async () => ({ kind: 'http', reason: 'no peer' }) });
    const context = fragContext(7);
    loader.load(context, loaderConfig, callbacks);
    await settle();

    expect(instances).toHaveLength(1);
    const http = instances[0];
    expect(http.hlsConfig).toBe(hlsConfig);
    expect(http.context).toBe(context);
    expect(http.config).toBe(loaderConfig);
    expect(http.stats).toBe(loader.stats);
    expect(loader.stats.loading.start).toBeGreaterThan(0);

    const bytes = segmentBytes(4_000);
    http.respond(bytes);

    expect(calls.httpLoaded).toHaveLength(1);
    expect(calls.httpLoaded[0].info.sn).toBe(7);
    expect(calls.httpLoaded[0].fromPeerFirst).toBe(0);
    expect(same(calls.httpLoaded[0].bytes, bytes)).toBe(true);
    expect(calls.countHttp).toEqual([]);
    expect(same(delivered(callbacks), bytes)).toBe(true);
    const [, stats, ctx] = callbacks.onSuccess.mock.calls[0];
    expect(stats).toBe(loader.stats);
    expect(ctx).toBe(context);
    expect(stats.loaded).toBe(4_000);
  });

  it('falls back to HTTP when the engine cannot plan', async () => {
    const { loader, instances, calls, callbacks } = setup({ plan: () => Promise.reject(new Error('engine gone')) });
    loader.load(fragContext(3), loaderConfig, callbacks);
    await settle();
    expect(instances).toHaveLength(1);
    instances[0].respond(segmentBytes(20));
    expect(calls.httpLoaded.map((c) => c.info.sn)).toEqual([3]);
    expect(delivered(callbacks).byteLength).toBe(20);
  });

  it.each([
    ['an init segment', fragContext('initSegment'), true],
    ['a part', fragContext(5, { part: {} as FragmentLoaderContext['part'] }), true],
    ['a fragment describe() does not know', fragContext(5), false],
  ])('sends %s straight to HTTP and counts its bytes', async (_name, context, knownToDescribe) => {
    const { loader, instances, calls, callbacks, describeCalls } = setup({ describe: () => undefined });
    loader.load(context, loaderConfig, callbacks);
    // No engine round trip: the HTTP loader starts at once.
    expect(instances).toHaveLength(1);
    expect(instances[0].context).toBe(context);
    expect(instances[0].stats).toBe(loader.stats);
    expect(describeCalls).toHaveLength(knownToDescribe ? 0 : 1);

    instances[0].respond(segmentBytes(700));
    expect(calls.countHttp).toEqual([700]);
    expect(calls.plan).toEqual([]);
    expect(calls.httpLoaded).toEqual([]);
    expect(delivered(callbacks).byteLength).toBe(700);
  });

  it('delivers what a peer sent without touching HTTP', async () => {
    const peer = peerPlan();
    const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
    loader.load(fragContext(9), loaderConfig, callbacks);
    await settle();
    expect(callbacks.onSuccess).not.toHaveBeenCalled();

    const bytes = segmentBytes(33_000);
    peer.outcome.resolve({ status: 'ok', bytes, peerId: 'peer-1' });
    await settle();

    expect(same(delivered(callbacks), bytes)).toBe(true);
    expect(loader.stats.loaded).toBe(33_000);
    expect(loader.stats.total).toBe(33_000);
    expect(instances).toHaveLength(0);
    expect(calls.httpLoaded).toEqual([]);
    expect(calls.countHttp).toEqual([]);
    expect(peer.abort).not.toHaveBeenCalled();
  });

  describe('finishing a segment a peer left half done', () => {
    it("fetches the whole segment again when the peer's part fails the check, and the player never sees it", async () => {
      const segment = segmentBytes(50_000);
      const lie = segment.slice(0, 20_000);
      lie[10] ^= 0xff;
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan, resumedOk: false });
      loader.load(fragContext(4), loaderConfig, callbacks);
      await settle();
      peer.outcome.resolve({ status: 'fallback', partial: lie, total: 50_000, reason: 'slow' });
      await settle();
      instances[0]!.respond(segment.subarray(20_000));
      await settle();
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(calls.checkResumed).toHaveLength(1);
      // The second request asks for the whole segment.
      expect(instances).toHaveLength(2);
      expect(instances[1]!.context?.rangeStart).toBeUndefined();
      instances[1]!.respond(segment);
      const data = delivered(callbacks);
      expect(same(data, segment)).toBe(true);
      expect(calls.httpLoaded).toHaveLength(1);
      expect(calls.httpLoaded[0].fromPeerFirst).toBe(0);
      expect(callbacks.onSuccess.mock.calls[0][1].loaded).toBe(50_000);
    });

    it.each([
      ['a whole file', undefined, undefined, 20_000, 50_000],
      ['a byte range', 1_000, 51_000, 21_000, 51_000],
    ])('asks the origin for the rest of %s', async (_name, rangeStart, rangeEnd, wantStart, wantEnd) => {
      const segment = segmentBytes(50_000);
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
      const context = fragContext(4, rangeStart === undefined ? {} : { rangeStart, rangeEnd });
      loader.load(context, loaderConfig, callbacks);
      const start = loader.stats.loading.start;
      await settle();
      peer.outcome.resolve({ status: 'fallback', partial: segment.slice(0, 20_000), total: 50_000, reason: 'slow' });
      await settle();

      expect(instances).toHaveLength(1);
      const http = instances[0];
      expect(http.context).not.toBe(context);
      expect(http.context).toMatchObject({ url: context.url, frag: context.frag, rangeStart: wantStart, rangeEnd: wantEnd });
      expect(context.rangeStart).toBe(rangeStart); // the caller's context is left alone
      expect(http.stats).not.toBe(loader.stats);

      http.respond(segment.subarray(20_000));
      await settle();

      const data = delivered(callbacks);
      expect(calls.checkResumed).toEqual([{ sn: 4, bytes: 50_000, peerId: 'peer-1' }]);
      expect(data.byteLength).toBe(50_000);
      expect(same(data, segment)).toBe(true);
      expect(calls.httpLoaded).toHaveLength(1);
      expect(calls.httpLoaded[0].fromPeerFirst).toBe(20_000);
      expect(calls.httpLoaded[0].info.sn).toBe(4);
      expect(same(calls.httpLoaded[0].bytes, segment)).toBe(true);
      const stats = callbacks.onSuccess.mock.calls[0][1];
      expect(stats).toBe(loader.stats);
      expect(stats.loaded).toBe(50_000);
      expect(stats.total).toBe(50_000);
      expect(stats.loading.start).toBe(start);
      expect(stats.loading.end).toBeGreaterThanOrEqual(stats.loading.first);
      expect(stats.loading.first).toBeGreaterThanOrEqual(start);
    });

    it('delivers the origin’s whole segment when it ignores the range', async () => {
      const segment = segmentBytes(50_000);
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
      loader.load(fragContext(4), loaderConfig, callbacks);
      await settle();
      peer.outcome.resolve({ status: 'fallback', partial: segment.slice(0, 20_000), total: 50_000, reason: 'slow' });
      await settle();

      instances[0].respond(segment); // 200 instead of 206

      const data = delivered(callbacks);
      expect(data.byteLength).toBe(50_000);
      expect(same(data, segment)).toBe(true);
      expect(calls.httpLoaded).toHaveLength(1);
      expect(calls.httpLoaded[0].fromPeerFirst).toBeUndefined();
      expect(same(calls.httpLoaded[0].bytes, segment)).toBe(true);
    });

    // A peer that sends another segment says that segment's length; the player must never see the origin's rest
    // of this one taken for a whole segment.
    it.each([
      ['ends before it', 50_000, (segment: Uint8Array) => ({ respond: segment.subarray(20_000) })],
      ['ends where the range would start', 18_000, () => ({ fail: 416 })],
    ])('fetches the whole segment when the peer gave a wrong length and the origin’s segment %s', async (_name, size, origin) => {
      const segment = segmentBytes(size);
      const other = segmentBytes(60_000, 9);
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
      loader.load(fragContext(4), loaderConfig, callbacks);
      await settle();
      peer.outcome.resolve({ status: 'fallback', partial: other.slice(0, 20_000), total: 60_000, reason: 'slow' });
      await settle();
      expect(instances[0]!.context).toMatchObject({ rangeStart: 20_000, rangeEnd: 60_000 });
      const answer = origin(segment);
      if ('respond' in answer) instances[0]!.respond(answer.respond);
      else instances[0]!.fail(answer.fail, 'Range Not Satisfiable');
      await settle();

      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(callbacks.onError).not.toHaveBeenCalled();
      expect(instances).toHaveLength(2);
      expect(instances[1]!.context?.rangeStart).toBeUndefined();
      instances[1]!.respond(segment);
      expect(same(delivered(callbacks), segment)).toBe(true);
      expect(calls.httpLoaded).toHaveLength(1);
      expect(calls.httpLoaded[0].fromPeerFirst).toBe(0);
      expect(callbacks.onSuccess.mock.calls[0][1].loaded).toBe(size);
    });

    it.each([
      ['nothing', new Uint8Array(0), undefined],
      ['nothing but a total', new Uint8Array(0), 50_000],
      ['bytes without a total', segmentBytes(100), undefined],
    ])('fetches the whole segment when the peer sent %s', async (_name, partial, total) => {
      const segment = segmentBytes(50_000);
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
      const context = fragContext(6);
      loader.load(context, loaderConfig, callbacks);
      const start = loader.stats.loading.start;
      expect(start).toBeGreaterThan(0);
      await settle();
      peer.outcome.resolve({ status: 'fallback', partial, total, reason: 'peer left' });
      await settle();

      expect(instances).toHaveLength(1);
      const http = instances[0];
      expect(http.context).toBe(context);
      expect(http.context?.rangeStart).toBeUndefined();
      expect(http.stats).not.toBe(loader.stats);
      http.respond(segment);

      expect(same(delivered(callbacks), segment)).toBe(true);
      expect(calls.httpLoaded).toHaveLength(1);
      expect(calls.httpLoaded[0].fromPeerFirst).toBe(0);
      const stats = callbacks.onSuccess.mock.calls[0][1];
      expect(stats).toBe(loader.stats);
      expect(stats.loading.start).toBe(start);
      expect(stats.loading.end).toBe(http.stats.loading.end);
      expect(stats.loaded).toBe(50_000);
      expect(stats.total).toBe(50_000);
    });
  });

  describe('abort and destroy', () => {
    it('aborts a peer transfer in progress and delivers nothing afterwards', async () => {
      const peer = peerPlan();
      const { loader, instances, callbacks } = setup({ plan: async () => peer.plan });
      const context = fragContext(2);
      loader.load(context, loaderConfig, callbacks);
      await settle();

      loader.abort();
      expect(peer.abort).toHaveBeenCalledTimes(1);
      expect(callbacks.onAbort).toHaveBeenCalledTimes(1);
      expect(callbacks.onAbort).toHaveBeenCalledWith(loader.stats, context, null);
      expect(loader.stats.aborted).toBe(true);

      peer.outcome.resolve({ status: 'ok', bytes: segmentBytes(10), peerId: 'peer-1' });
      await settle();
      loader.abort();
      expect(callbacks.onAbort).toHaveBeenCalledTimes(1);
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(instances).toHaveLength(0);
    });

    it('aborts a peer plan that arrives after abort()', async () => {
      const plan = deferred<FetchPlan>();
      const peer = peerPlan();
      const { loader, instances, callbacks } = setup({ plan: () => plan.promise });
      loader.load(fragContext(2), loaderConfig, callbacks);
      loader.abort();
      expect(callbacks.onAbort).toHaveBeenCalledTimes(1);
      plan.resolve(peer.plan);
      await settle();
      expect(peer.abort).toHaveBeenCalledTimes(1);
      expect(instances).toHaveLength(0);
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
    });

    it('starts no HTTP request for a fallback that arrives after abort()', async () => {
      const peer = peerPlan();
      const { loader, instances, callbacks } = setup({ plan: async () => peer.plan });
      loader.load(fragContext(2), loaderConfig, callbacks);
      await settle();
      loader.abort();
      peer.outcome.resolve({ status: 'fallback', partial: segmentBytes(10), total: 100, reason: 'slow' });
      await settle();
      expect(instances).toHaveLength(0);
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(callbacks.onError).not.toHaveBeenCalled();
    });

    it.each([
      ['plain HTTP', () => ({ kind: 'http', reason: 'x' }) as FetchPlan, undefined],
      ['a range request after a peer', undefined, { partial: segmentBytes(10), total: 100 }],
    ])('aborts %s and delivers nothing afterwards', async (_name, makePlan, fallback) => {
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => makePlan?.() ?? peer.plan });
      const context = fragContext(2);
      loader.load(context, loaderConfig, callbacks);
      await settle();
      if (fallback) {
        peer.outcome.resolve({ status: 'fallback', reason: 'slow', ...fallback });
        await settle();
      }
      expect(instances).toHaveLength(1);

      loader.abort();
      expect(instances[0].aborted).toBe(1);
      expect(callbacks.onAbort).toHaveBeenCalledTimes(1);
      expect(callbacks.onAbort.mock.calls[0][0]).toBe(loader.stats);
      expect(callbacks.onAbort.mock.calls[0][1]).toBe(context);

      instances[0].respond(segmentBytes(90));
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(calls.httpLoaded).toEqual([]);
    });

    it('destroy() is safe twice and stops a pending peer transfer', async () => {
      const peer = peerPlan();
      const { loader, callbacks } = setup({ plan: async () => peer.plan });
      loader.load(fragContext(2), loaderConfig, callbacks);
      await settle();
      loader.destroy();
      loader.destroy();
      expect(peer.abort).toHaveBeenCalledTimes(1);
      expect(loader.context).toBeNull();
      peer.outcome.resolve({ status: 'ok', bytes: segmentBytes(10), peerId: 'peer-1' });
      await settle();
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      loader.abort();
      expect(callbacks.onAbort).not.toHaveBeenCalled();
    });

    it('destroy() destroys the HTTP loader once', async () => {
      const { loader, instances, callbacks } = setup({ plan: async () => ({ kind: 'http', reason: 'x' }) });
      loader.load(fragContext(2), loaderConfig, callbacks);
      await settle();
      loader.destroy();
      loader.destroy();
      expect(instances[0].destroyed).toBe(1);
    });
  });

  describe('HTTP failures after a peer attempt', () => {
    const fallbacks: [string, Omit<Extract<PeerOutcome, { status: 'fallback' }>, 'status' | 'reason'>][] = [
      ['a range request', { partial: segmentBytes(100), total: 1_000 }],
      ['a whole-segment request', { partial: new Uint8Array(0), total: undefined }],
    ];

    it.each(fallbacks)('reports an error of %s with the loader’s stats', async (_name, fallback) => {
      const peer = peerPlan();
      const { loader, instances, calls, callbacks } = setup({ plan: async () => peer.plan });
      const context = fragContext(8);
      loader.load(context, loaderConfig, callbacks);
      await settle();
      peer.outcome.resolve({ status: 'fallback', reason: 'slow', ...fallback });
      await settle();

      instances[0].fail(404, 'Not Found');

      expect(callbacks.onError).toHaveBeenCalledTimes(1);
      const [error, ctx, details, stats] = callbacks.onError.mock.calls[0];
      expect(error).toEqual({ code: 404, text: 'Not Found' });
      expect(ctx).toBe(context);
      expect(details).toBeNull();
      expect(stats).toBe(loader.stats);
      expect(stats.loading.end).toBe(instances[0].stats.loading.end);
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
      expect(callbacks.onTimeout).not.toHaveBeenCalled();
      expect(calls.httpLoaded).toEqual([]);
      // Settled: a later abort reports nothing.
      loader.abort();
      expect(callbacks.onAbort).not.toHaveBeenCalled();
    });

    it.each(fallbacks)('reports a timeout of %s with the loader’s stats', async (_name, fallback) => {
      const peer = peerPlan();
      const { loader, instances, callbacks } = setup({ plan: async () => peer.plan });
      const context = fragContext(8);
      loader.load(context, loaderConfig, callbacks);
      await settle();
      peer.outcome.resolve({ status: 'fallback', reason: 'slow', ...fallback });
      await settle();

      instances[0].time();

      expect(callbacks.onTimeout).toHaveBeenCalledTimes(1);
      const [stats, ctx, details] = callbacks.onTimeout.mock.calls[0];
      expect(stats).toBe(loader.stats);
      expect(ctx).toBe(context);
      expect(details).toBeNull();
      expect(callbacks.onError).not.toHaveBeenCalled();
      expect(callbacks.onSuccess).not.toHaveBeenCalled();
    });
  });
});
