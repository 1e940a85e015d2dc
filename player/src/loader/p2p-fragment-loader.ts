import {
  LoadStats,
  type Fragment,
  type FragmentLoaderContext,
  type HlsConfig,
  type Loader,
  type LoaderCallbacks,
  type LoaderConfiguration,
  type LoaderResponse,
  type LoaderStats,
} from 'hls.js';
import type { FetchPlan, SegmentInfo, UpcomingSegment } from '../engine/engine.ts';

/** What the loader needs of the engine (a narrow view, so tests can fake it). */
export interface LoaderEngine {
  plan(info: SegmentInfo): Promise<FetchPlan>;
  /** A segment that came over HTTP (`elapsedMs`: how long the request took, when all of it came from the origin). */
  httpLoaded(info: SegmentInfo, bytes: Uint8Array, fromPeerFirst?: number, elapsedMs?: number): void;
  /** Bytes of a fragment that went over HTTP without the swarm (init segments, parts, P2P not ready or off). */
  countHttp(bytes: number, mediaSegment: boolean): void;
  /** Whether segments from the origin are checked too (verify-http); without it they are delivered at once. */
  readonly verifiesHttp: boolean;
  /** With verifiesHttp: whether bytes from the origin match the site's hash. */
  checkHttp(info: SegmentInfo, bytes: Uint8Array): Promise<boolean>;
  /** Whether a segment a peer began and HTTP finished matches the site's hash (if not, the peer is banned). */
  checkResumed(info: SegmentInfo, bytes: Uint8Array, peerId: string): Promise<boolean>;
}

export interface P2PLoaderOptions {
  engine: LoaderEngine;
  /** The rendition's playlist URL and expected segment size for a fragment; undefined keeps it on HTTP. */
  describe(frag: Fragment): { levelUrl: string; range?: { offset: number; length: number }; expectedBytes: number; next?: UpcomingSegment[] } | undefined;
}

type FragmentLoaderClass = new (config: HlsConfig) => Loader<FragmentLoaderContext>;

/**
 * An hls.js fragment loader class (config.fLoader) that asks the engine first and otherwise delegates to hls.js'
 * own loader. One instance per request, as hls.js expects; `stats` is filled from what really happened, so ABR
 * sees the time the bytes took whatever their source.
 */
export function createP2PFragmentLoader(options: P2PLoaderOptions): FragmentLoaderClass {
  return class P2PFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = new LoadStats();
    private readonly hlsConfig: HlsConfig;
    private callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    private http: Loader<FragmentLoaderContext> | null = null;
    private abortPeer: (() => void) | null = null;
    private done = false;

    constructor(config: HlsConfig) {
      this.hlsConfig = config;
    }

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      if (this.stats.loading.start) throw new Error('Loader can only be used once.');
      this.context = context;
      this.callbacks = callbacks;
      this.stats.loading.start = performance.now();
      const frag = context.frag;
      const described = typeof frag.sn === 'number' && !context.part ? options.describe(frag) : undefined;
      if (!described || typeof frag.sn !== 'number') {
        this.loadHttp(context, config, undefined);
        return;
      }
      const info: SegmentInfo = {
        levelUrl: described.levelUrl,
        sn: frag.sn,
        url: context.url,
        range: described.range,
        start: frag.start,
        duration: frag.duration,
        expectedBytes: described.expectedBytes,
        next: described.next,
      };
      options.engine.plan(info).then(
        (plan) => this.follow(plan, info, context, config),
        () => this.loadHttp(context, config, info),
      );
    }

    abort(): void {
      if (this.done) return;
      this.done = true;
      this.stats.aborted = true;
      this.abortPeer?.();
      this.http?.abort();
      if (this.context) this.callbacks?.onAbort?.(this.stats, this.context, null);
    }

    destroy(): void {
      this.abortPeer?.();
      this.http?.destroy();
      this.http = null;
      this.abortPeer = null;
      this.callbacks = null;
      this.context = null;
      this.done = true;
    }

    private follow(plan: FetchPlan, info: SegmentInfo, context: FragmentLoaderContext, config: LoaderConfiguration): void {
      if (this.done) {
        if (plan.kind === 'peer') plan.abort();
        return;
      }
      if (plan.kind === 'gone') {
        // The source was torn down while this request waited for peers: no callback, no request.
        this.done = true;
        return;
      }
      if (plan.kind === 'store') return this.succeed(plan.bytes);
      if (plan.kind === 'http') return this.loadHttp(context, config, info);
      this.abortPeer = plan.abort;
      plan.outcome.then((outcome) => {
        this.abortPeer = null;
        if (this.done) return;
        if (outcome.status === 'ok') return this.succeed(outcome.bytes);
        const partial = outcome.partial;
        if (partial.byteLength > 0 && outcome.total !== undefined && partial.byteLength < outcome.total) {
          return this.resume(context, config, info, partial, outcome.total, plan.peerId);
        }
        this.loadHttp(context, config, info, true);
      });
    }

    private succeed(bytes: Uint8Array): void {
      if (this.done || !this.context) return;
      this.done = true;
      const now = performance.now();
      const stats = this.stats;
      stats.loading.first ||= now;
      stats.loading.end = now;
      stats.loaded = bytes.byteLength;
      stats.total = bytes.byteLength;
      const data = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      const response: LoaderResponse = { url: this.context.url, data: data as ArrayBuffer };
      this.callbacks?.onSuccess(response, stats, this.context, null);
    }

    // Plain HTTP through hls.js' own loader. Straight to HTTP, it shares our stats object so hls.js sees one
    // request; after a peer attempt, the delegate has its own, and ours keeps the attempt's start time.
    private loadHttp(context: FragmentLoaderContext, config: LoaderConfiguration, info: SegmentInfo | undefined, afterPeer = false): void {
      if (this.done) return;
      const Http = this.hlsConfig.loader as unknown as FragmentLoaderClass;
      const http = new Http(this.hlsConfig);
      if (!afterPeer) {
        this.stats.loading.start = 0;
        http.stats = this.stats;
      }
      this.http = http;
      http.load(context, config, {
        ...this.callbacks!,
        onSuccess: (response, stats, ctx, details) => {
          if (this.done) return;
          const data = response.data;
          const deliver = (): void => {
            this.done = true;
            if (afterPeer) this.merge(stats);
            if (data instanceof ArrayBuffer) {
              if (info) options.engine.httpLoaded(info, new Uint8Array(data), 0, stats.loading.end - stats.loading.start);
              else options.engine.countHttp(data.byteLength, typeof context.frag.sn === 'number');
            }
            this.callbacks?.onSuccess(response, this.stats, ctx, details);
          };
          if (!info || !(data instanceof ArrayBuffer) || !options.engine.verifiesHttp) return deliver();
          // With verify-http, the origin's bytes are checked too; a mismatch fails the load and hls.js retries.
          options.engine.checkHttp(info, new Uint8Array(data)).then((ok) => {
            if (this.done) return;
            if (ok) return deliver();
            this.done = true;
            if (afterPeer) this.merge(stats);
            this.callbacks?.onError({ code: 0, text: 'the segment does not match its published hash' }, ctx, details, this.stats);
          });
        },
        onError: (error, ctx, details, stats) => {
          if (this.done) return;
          this.done = true;
          if (afterPeer) this.merge(stats);
          this.callbacks?.onError(error, ctx, details, this.stats);
        },
        onTimeout: (stats, ctx, details) => {
          if (this.done) return;
          this.done = true;
          if (afterPeer) this.merge(stats);
          this.callbacks?.onTimeout(this.stats, ctx, details);
        },
        onAbort: undefined,
      });
    }

    private merge(http: LoaderStats): void {
      this.stats.loading.first = this.stats.loading.first || http.loading.first;
      this.stats.loading.end = http.loading.end;
      this.stats.loaded += http.loaded;
      this.stats.total = Math.max(this.stats.total, this.stats.loaded);
      this.stats.retry = http.retry;
    }

    // What a peer sent of the segment cannot be used: the whole segment over HTTP, from its first byte.
    private restart(context: FragmentLoaderContext, config: LoaderConfiguration, info: SegmentInfo): void {
      this.http = null;
      this.stats.loaded = 0;
      this.loadHttp(context, config, info, true);
    }

    // A peer sent part of the segment and fell behind: fetch only the rest, with a Range request.
    private resume(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      info: SegmentInfo,
      partial: Uint8Array,
      total: number,
      peerId: string,
    ): void {
      const Http = this.hlsConfig.loader as unknown as FragmentLoaderClass;
      const http = new Http(this.hlsConfig);
      this.http = http;
      const base = context.rangeStart ?? 0;
      const rest: FragmentLoaderContext = { ...context, rangeStart: base + partial.byteLength, rangeEnd: base + total };
      http.load(rest, config, {
        ...this.callbacks!,
        onSuccess: (response, stats) => {
          const tail = new Uint8Array(response.data as ArrayBuffer);
          this.stats.loaded = partial.byteLength;
          this.merge(stats);
          if (partial.byteLength + tail.byteLength !== total) {
            // The origin ignored the range: its answer is the whole segment, as long as the peer said.
            if (tail.byteLength === total) {
              options.engine.httpLoaded(info, tail);
              return this.succeed(tail);
            }
            // Otherwise the peer lied about the segment's length, and neither part is the segment's: all of it again.
            return this.restart(context, config, info);
          }
          const whole = new Uint8Array(total);
          whole.set(partial, 0);
          whole.set(tail, partial.byteLength);
          // The peer's part is checked with the rest before the player sees any of it; if the whole does not
          // match, the peer lied and the segment comes over HTTP from its first byte.
          options.engine.checkResumed(info, whole, peerId).then((ok) => {
            if (this.done) return;
            if (!ok) return this.restart(context, config, info);
            options.engine.httpLoaded(info, whole, partial.byteLength);
            this.succeed(whole);
          });
        },
        onError: (error, _ctx, details, stats) => {
          if (this.done) return;
          // A range past the segment's end: the peer lied about its length.
          if (error.code === 416) return this.restart(context, config, info);
          this.done = true;
          this.merge(stats);
          this.callbacks?.onError(error, context, details, this.stats);
        },
        onTimeout: (stats, _ctx, details) => {
          if (this.done) return;
          this.done = true;
          this.merge(stats);
          this.callbacks?.onTimeout(this.stats, context, details);
        },
        onAbort: undefined,
      });
    }
  };
}
