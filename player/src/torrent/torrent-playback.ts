import type { EngineDetails } from '../engine/details.ts';
import { bufferAhead } from '../element/p2p-details.ts';
import { progressiveMimeType } from '../element/source-type.ts';
import { resolveTracker, parseIceServers } from '../element/swarm-metadata.ts';
import { isMagnetUri, parseMagnet, resolveMagnet } from './magnet.ts';
import { earlyReader, type EarlyStreamSource } from './early-stream.ts';
import { fetchHeadStart, HEAD_START_BYTES } from './head-start.ts';
import type { TorrentSession, TorrentSessionEvents } from './torrent-session.ts';
import { publishStream } from './stream-responder.ts';
import { prepareStreamingWorker, releaseStreamingWorker, streamingWorker, wakeStreamingWorker } from './streaming-worker.ts';
import { readTorrentPieces } from './torrent-file.ts';
import { findBeaconLink, findTorrentSource } from './torrent-source.ts';

/** The element's P2P settings for a progressive source, read from its attributes when the source is loaded. */
export interface TorrentSettings {
  mode: 'off' | 'on' | 'download-only';
  /** `tracker` attribute: replaces the torrent's trackers. */
  trackers?: string;
  /** `ice-servers` attribute; without it, none (there is no swarm.json for a file). */
  iceServers?: string;
  /** `preload="none"` without autoplay: nothing is fetched, not even the torrent, until playback is asked for. */
  deferred?: boolean;
}

export interface TorrentPlaybackEvents extends Omit<TorrentSessionEvents, 'failed'> {
  /** Give the media element this URL: the torrent's stream, or the file over HTTP. */
  play(url: string): void;
  /** Nothing can be played. */
  fatal(message: string): void;
  /** The site's beacon URL for this file, from the origin's answer (told once the origin has answered). */
  beacon?(url: string | undefined): void;
}

/** The files the build writes beside the bundle: the service worker, and WebTorrent with the torrent session. */
export const WORKER_FILE = 'p2p-video-sw.js';
export const SESSION_FILE = 'p2p-video-webtorrent.js';
/** The torrent's metadata and the service worker get this long before the file plays over HTTP instead. */
const READY_TIMEOUT_MS = 10_000;
/** When the video plays the head start first, the torrent session starts at most this long after it got the stream. */
const SESSION_DELAY_MS = 1000;

/**
 * Plays one progressive source (`.mp4`, `.webm`, a `magnet:` URI) through WebTorrent with the origin as web seed,
 * when the origin publishes a torrent for it (a `Link` header or `<src>.torrent`); otherwise, or when WebTorrent or
 * the service worker cannot be used, over plain HTTP as `<video src>` would. WebTorrent is loaded on demand.
 */
export class TorrentPlayback {
  private readonly src: string;
  private readonly media: HTMLMediaElement;
  private readonly settings: TorrentSettings;
  private readonly events: TorrentPlaybackEvents;
  private readonly workerUrl: string;
  private readonly abort = new AbortController();
  private session: TorrentSession | undefined;
  /** The torrent's stream the media element plays, while it does. */
  private stream: { url: string; close(): void } | undefined;

  constructor(src: string, media: HTMLMediaElement, settings: TorrentSettings, events: TorrentPlaybackEvents, workerUrl = besideBundle(WORKER_FILE)) {
    this.src = src;
    this.media = media;
    this.settings = settings;
    this.events = events;
    this.workerUrl = workerUrl;
    if (settings.deferred) media.addEventListener('play', this.start, { once: true });
    else this.start();
  }

  /** The torrent's peers and swarm for `el.p2pDetails()`, while it plays from the torrent. */
  get engine(): { details(): EngineDetails } | undefined {
    return this.session;
  }

  destroy(): void {
    this.abort.abort();
    this.media.removeEventListener('play', this.start);
    this.media.removeEventListener('waiting', this.onWaiting);
    this.session?.destroy();
    this.session = undefined;
    this.setStream(undefined);
  }

  // Playback waits: the bytes it waits for go first. (After a seek, the media element's new request does that.)
  private readonly onWaiting = (): void => {
    this.session?.prioritiseReading();
  };

  private readonly start = (): void => {
    void this.run();
  };

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const isMagnet = isMagnetUri(this.src);
    const magnet = isMagnet ? parseMagnet(this.src) : undefined;
    if (isMagnet && !magnet) return this.events.fatal('This magnet link names no torrent (it has no urn:btih info hash).');
    // Over HTTP: the file itself, or for a magnet the first web seed it names.
    const httpUrl = magnet ? resolveMagnet(magnet, this.src).webSeeds[0] : this.src;
    if (this.settings.mode === 'off') return this.playHttpOnly(httpUrl);
    if (!('serviceWorker' in navigator) || !window.isSecureContext) {
      // No torrent to ask the origin for: without a service worker a torrent cannot reach the media element.
      this.events.warning({ code: 'ERR_P2P_UNAVAILABLE', message: 'Peers cannot be used (this page cannot use service workers: they need https): playing over HTTP.', fatal: false });
      return this.playHttpOnly(httpUrl);
    }
    // Fetched while the origin is asked for the torrent: a file that has one starts sooner.
    const returning = wakeStreamingWorker(this.workerUrl);
    if (returning) preloadSession();
    // The first bytes are asked for as <video src> would, not once WebTorrent has loaded and read the torrent: on a
    // site whose torrents this viewer has played before, at once; otherwise once the origin says there is a torrent.
    let headStart = returning && httpUrl && !isMagnet ? fetchHeadStart(httpUrl, signal) : undefined;
    const source = await findTorrentSource(this.src, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    this.events.beacon?.(source?.beacon);
    if (!source) {
      headStart?.cancel();
      releaseStreamingWorker(this.workerUrl);
      return this.playHttp(httpUrl);
    }
    const webSeed = httpUrl ?? source.webSeeds[0];
    headStart ??= webSeed ? fetchHeadStart(webSeed, signal) : undefined;
    // Made ready since the element was given the file (prepareTorrentPlayback), if it is not already.
    const worker = streamingWorker(this.workerUrl);
    worker.catch(() => undefined);
    // The .torrent's piece hashes, read here: the head start's pieces can be checked and played before WebTorrent is
    // ready. Only with the torrent the origin links to, of this very file.
    const pieces = source.torrentFile && source.fileLength !== undefined && httpUrl && headStart ? await readTorrentPieces(source.torrentFile) : undefined;
    if (signal.aborted) return;
    const usable = pieces && pieces.length === source.fileLength && (!source.infoHash || pieces.infoHash === source.infoHash);
    const head = usable && headStart ? { start: headStart, pieces, size: HEAD_START_BYTES } : undefined;
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), READY_TIMEOUT_MS);
    const stop = (): void => attempt.abort();
    signal.addEventListener('abort', stop);
    // WebTorrent's module takes the page's thread for a while when it runs, and the video's first bytes pass through
    // that thread: when the head start can be played without it, it runs once the video can play, or needs more than
    // the head start, or after a second (its module is fetched meanwhile); otherwise at once.
    let begin = (): void => undefined;
    const begun = new Promise<void>((resolve) => {
      begin = resolve;
    });
    if (head) preloadSession();
    else begin();
    const starting = begun.then(loadSession).then(({ startTorrentSession }) =>
      startTorrentSession(
        {
          src: this.src,
          source,
          uploads: this.settings.mode !== 'download-only',
          trackers: this.settings.trackers?.split(/\s+/).filter(Boolean).flatMap((t) => resolveTracker(t, document.baseURI)),
          iceServers: this.settings.iceServers !== undefined ? parseIceServers(this.settings.iceServers) : [],
          mimeType: progressiveMimeType,
          headStart,
          bufferAhead: () => bufferAhead(this.media),
        },
        { ...this.events, failed: (error) => this.onFailed(error, httpUrl) },
        attempt.signal,
      ),
    );
    starting.catch(() => undefined);
    try {
      const { scope } = await worker;
      if (signal.aborted) return;
      // The size is known from the origin's answer: the media element asks for the file now, and its request waits
      // in the service worker until the torrent can answer it.
      let early: { length: number } | undefined;
      if (source.fileLength !== undefined && httpUrl) {
        early = this.publishEarly(scope, httpUrl, source.fileLength, source.infoHash, starting, head, begin);
        if (head) {
          this.media.addEventListener('canplay', begin, { once: true, signal });
          setTimeout(begin, SESSION_DELAY_MS);
        }
      }
      const session = await starting;
      if (signal.aborted) {
        session.destroy();
        return;
      }
      this.session = session;
      this.media.addEventListener('waiting', this.onWaiting);
      const file = session.playing;
      if (early?.length !== file.length) {
        // Not given early, or the torrent's file is not the size the origin said: published as the torrent has it.
        this.setStream(publishStream(scope, file.id, file.name, { length: file.length, type: session.type, read: (from, to) => session.read(from, to) }));
      }
    } catch (error) {
      headStart?.cancel();
      if (signal.aborted) return;
      const reason = attempt.signal.aborted ? `the torrent was not ready within ${READY_TIMEOUT_MS / 1000} s` : (error as Error).message;
      this.events.warning({ code: 'ERR_P2P_UNAVAILABLE', message: `Peers cannot be used (${reason}): playing over HTTP.`, fatal: false });
      this.playHttp(httpUrl ?? source.webSeeds[0]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Gives the media element the torrent's stream before the torrent is ready (its size from the origin's HEAD): the
   * reads wait for the session. If the session never comes, they wait until the element is given another URL.
   */
  private publishEarly(
    scope: string,
    httpUrl: string,
    length: number,
    infoHash: string | undefined,
    starting: Promise<TorrentSession>,
    head: EarlyStreamSource['head'],
    needSession: () => void,
  ): { length: number } {
    const name = decodeURIComponent(new URL(httpUrl).pathname.split('/').pop() || 'file');
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const read = earlyReader({
      length,
      session: starting.then(
        (session) => (session.playing.length === length ? session : undefined),
        () => undefined,
      ),
      released,
      head,
      needSession,
    });
    const stream = publishStream(scope, `${infoHash ?? 'torrent'}-e${(earlyStreams += 1)}`, name, {
      length,
      type: progressiveMimeType(name) ?? 'video/mp4',
      read,
    });
    this.setStream({
      url: stream.url,
      close: () => {
        stream.close();
        release();
      },
    });
    return { length };
  }

  private setStream(stream: { url: string; close(): void } | undefined): void {
    this.stream?.close();
    this.stream = stream;
    if (stream) this.load(stream.url);
  }

  private load(url: string): void {
    this.events.play(url);
    // preload="none": the viewer asked to play before there was a src; with none, the media element waits for
    // another play() before it fetches anything.
    if (this.settings.deferred && !this.media.paused) void this.media.play().catch(() => undefined);
  }

  /** Plays over HTTP with no torrent asked for; the origin is still asked for the site's beacon (if wanted). */
  private playHttpOnly(url: string | undefined): void {
    this.playHttp(url);
    const signal = this.abort.signal;
    if (url && this.events.beacon) {
      void findBeaconLink(url, { signal }).then((beacon) => {
        if (!signal.aborted) this.events.beacon?.(beacon);
      });
    }
  }

  private playHttp(url: string | undefined): void {
    this.setStream(undefined);
    if (url) this.load(url);
    else this.events.fatal('This magnet link names no web seed, so it can only be played from peers, and peers cannot be used here.');
  }

  // The torrent broke mid-playback: the file goes on over HTTP from where it was.
  private onFailed(error: Error, httpUrl: string | undefined): void {
    const session = this.session;
    if (!session || this.abort.signal.aborted) return;
    session.destroy();
    this.session = undefined;
    this.setStream(undefined);
    this.events.warning({ code: 'ERR_P2P_UNAVAILABLE', message: `The torrent failed (${error.message}): playing over HTTP.`, fatal: false });
    if (!httpUrl) return this.events.fatal(`The torrent failed (${error.message}) and the magnet link names no web seed.`);
    const media = this.media;
    const at = media.currentTime;
    const playing = !media.paused;
    media.addEventListener(
      'loadedmetadata',
      () => {
        media.currentTime = at;
        if (playing) void media.play().catch(() => undefined);
      },
      { once: true },
    );
    this.events.play(httpUrl);
  }
}

let earlyStreams = 0;

/**
 * An element is about to be given a progressive file or a magnet URI (with P2P on, not deferred): the service
 * worker starts installing now, while the player sets up and the origin is asked for the torrent (see
 * prepareStreamingWorker).
 */
export function prepareTorrentPlayback(workerUrl = besideBundle(WORKER_FILE)): void {
  prepareStreamingWorker(workerUrl);
}

/** A file beside the bundle (import.meta.url is the bundle's own URL once built). */
function besideBundle(file: string): string {
  return new URL(file, import.meta.url).href;
}

/** Fetches the torrent session's module without running it (see loadSession). */
function preloadSession(): void {
  const href = besideBundle(SESSION_FILE);
  if (document.querySelector(`link[rel="modulepreload"][href="${CSS.escape(href)}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'modulepreload';
  link.href = href;
  document.head.append(link);
}

// Not import('./torrent-session.ts'): that would put WebTorrent into the bundle (it is built as one module).
function loadSession(): Promise<typeof import('./torrent-session.ts')> {
  return import(/* @vite-ignore */ besideBundle(SESSION_FILE)) as Promise<typeof import('./torrent-session.ts')>;
}
