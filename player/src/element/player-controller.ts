import Hls from 'hls.js';
import type { ReactiveController } from 'lit';
import type Player from 'video.js/dist/types/player';
import videojs from 'video.js/core.es.js';
import 'videojs-contrib-quality-levels';
import { ErrorCodes, MEDIA_EVENTS, P2PEvents } from './constants.ts';
import { P2PError } from './errors.ts';
import { createHlsConfig, liveHoldBack } from './hls-config.ts';
import { HlsSession, type QualityLevelSink } from './hls-session.ts';
import { registerHlsSourceHandler, TECH_OPTION, type SourceInfo, type SourceSessionFactory } from './hls-source-handler.ts';
import { isHlsMimeType, sourceKind, sourceMimeType } from './source-type.ts';
import type { P2PEngine } from '../engine/engine.ts';
import { createP2PFragmentLoader } from '../loader/p2p-fragment-loader.ts';
import { P2PWiring } from './p2p-wiring.ts';
import { BeaconReporter, beaconFromAttribute } from './beacon.ts';
import { fetchSwarmMetadata, swarmMetadataUrl } from './swarm-metadata.ts';
import type { StatsReporter } from './stats-reporter.ts';
import type { DetailsParts, P2PDetails } from './p2p-details.ts';
import { PluginNames, setPluginOpen, startPlugins } from './plugins.ts';
import { prepareTorrentPlayback, TorrentPlayback } from '../torrent/torrent-playback.ts';
import { registerTorrentSourceHandler, type TorrentSourceFactory, type TorrentTech } from '../torrent/torrent-source-handler.ts';

/** What the controller reads from its element. */
export interface PlayerHost extends HTMLElement {
  addController(controller: ReactiveController): void;
  src: string;
  autoplay: boolean;
  muted: boolean;
  controls: boolean;
  poster: string;
  preload: string;
  playsinline: boolean;
  /** `p2p` attribute: off, download-only, unverified, or null. */
  p2p: string | null;
  tracker: string | null;
  iceServers: string | null;
  swarmId: string | null;
  verifyHttp: boolean;
  /** `beacon` attribute: the site's beacon URL, `off`, or null for the stream's swarm metadata. */
  beacon: string | null;
  /** `live-hold-back` attribute: target durations behind hls.js' live sync point, or null for the default. */
  liveHoldBack: number | null;
  /** `overlay` attribute: the peer/origin overlay is shown. */
  overlay: boolean;
  p2pDetails(): P2PDetails;
}

/** The attributes that map onto video.js setters of the same meaning. */
export type MediaAttribute = 'src' | 'autoplay' | 'muted' | 'controls' | 'poster' | 'preload' | 'playsinline';

interface QualityLevelList {
  addQualityLevel(rep: object): unknown;
  removeQualityLevel(level: unknown): unknown;
  length: number;
  [index: number]: unknown;
  selectedIndex_: number;
  trigger(event: { type: string; selectedIndex: number }): void;
}

// MediaError codes video.js understands, so its error display reads right.
const MEDIA_ERR_NETWORK = 2;
const MEDIA_ERR_DECODE = 3;
const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

function preloadValue(value: string): 'none' | 'metadata' | 'auto' {
  return value === 'none' || value === 'metadata' ? value : 'auto';
}

/**
 * Owns the video.js player inside the element's light DOM: created when the element is connected, disposed
 * (with hls.js) when it is removed. A move within the document (disconnect then connect in one task) keeps it.
 */
export class PlayerController implements ReactiveController, SourceSessionFactory, TorrentSourceFactory {
  private readonly host: PlayerHost;
  private readonly stats: StatsReporter;
  private playerRef: Player | undefined;
  private mediaRef: HTMLVideoElement | undefined;
  private session: HlsSession | undefined;
  private wiring: P2PWiring | undefined;
  private torrent: TorrentPlayback | undefined;
  private loadedSrc: string | undefined;
  private reportingError = false;
  private disposePending = false;

  constructor(host: PlayerHost, stats: StatsReporter) {
    this.host = host;
    this.stats = stats;
    host.addController(this);
  }

  get player(): Player | undefined {
    return this.playerRef;
  }

  get engine(): P2PEngine | undefined {
    return this.wiring?.engine;
  }

  /** The current source's parts that `el.p2pDetails()` reads. */
  detailsParts(): Pick<DetailsParts, 'mode' | 'engine' | 'hls' | 'media'> {
    const mode = this.host.p2p === 'download-only' ? 'download-only' : 'on';
    return { mode, engine: this.wiring?.engine ?? this.torrent?.engine, hls: this.session?.hls, media: this.mediaRef };
  }

  /** The `overlay` attribute changed. */
  showOverlay(open: boolean): void {
    if (this.playerRef) setPluginOpen(this.playerRef, PluginNames.RATIO_OVERLAY, open);
  }

  get media(): HTMLVideoElement | undefined {
    return this.mediaRef;
  }

  hostConnected(): void {
    this.disposePending = false;
    if (!this.playerRef) this.create();
  }

  hostDisconnected(): void {
    this.disposePending = true;
    queueMicrotask(() => {
      if (this.disposePending && !this.host.isConnected) this.dispose();
    });
  }

  /** Applies changed attributes to the running player. */
  apply(changed: Iterable<MediaAttribute>): void {
    const player = this.playerRef;
    if (!player) return;
    for (const name of changed) {
      switch (name) {
        case 'src':
          this.load(this.host.src);
          break;
        case 'autoplay':
          player.autoplay(this.host.autoplay);
          break;
        case 'muted':
          player.muted(this.host.muted);
          break;
        case 'controls':
          player.controls(this.host.controls);
          break;
        case 'poster':
          player.poster(this.host.poster || '');
          break;
        case 'preload':
          player.preload(preloadValue(this.host.preload));
          break;
        case 'playsinline':
          player.playsinline(this.host.playsinline);
          break;
      }
    }
  }

  /** Called by the video.js source handler for every HLS source this player is given. */
  createSession(source: SourceInfo, media: HTMLMediaElement): { dispose(): void } {
    this.stopSession();
    const wiring = this.host.p2p === 'off' ? undefined : this.createWiring(source.src, media);
    const config = createHlsConfig({
      fLoader: wiring?.loader ?? this.httpOnlyLoader(),
      liveHoldBack: liveHoldBack(this.host.liveHoldBack, this.host.p2p !== 'off'),
    });
    const deferred = this.deferred;
    if (deferred) config.autoStartLoad = false;
    const session = new HlsSession({
      src: source.src,
      media,
      config,
      levels: this.qualityLevelSink(),
      onError: (error) => this.fail(error),
    });
    wiring?.attach(session.hls);
    this.wiring = wiring;
    if (deferred) media.addEventListener('play', () => session.hls.startLoad(), { once: true });
    this.session = session;
    const beacon = this.createBeacon(source.src, media, session, wiring);
    return {
      dispose: () => {
        beacon.close();
        session.destroy();
        wiring?.destroy();
        if (this.wiring === wiring) this.wiring = undefined;
        if (this.session === session) this.session = undefined;
      },
    };
  }

  /**
   * Every progressive file and magnet URI plays through the torrent source handler: with `p2p="off"` too, when it
   * plays the file over HTTP as `<video src>` would, and still reports to the site's beacon.
   */
  handlesTorrent(): boolean {
    return true;
  }

  /** Called by the torrent source handler: a torrent with the origin as web seed if it has one, else HTTP. */
  createTorrentSession(source: SourceInfo, tech: TorrentTech): { dispose(): void } {
    this.stopSession();
    const host = this.host;
    const event = (type: string, detail: unknown): boolean => host.dispatchEvent(new CustomEvent(type, { detail }));
    // The site's download counts: the `beacon` attribute, else the beacon the origin links from the file.
    const media = tech.el() as HTMLMediaElement;
    const beacon = new BeaconReporter({ src: source.src, media, stats: () => this.stats.stats });
    const fixed = beaconFromAttribute(host.beacon, document.baseURI);
    if (fixed !== null) beacon.setUrl(fixed);
    const playback = new TorrentPlayback(
      source.src,
      media,
      {
        mode: host.p2p === 'off' ? 'off' : host.p2p === 'download-only' ? 'download-only' : 'on',
        trackers: host.tracker ?? undefined,
        iceServers: host.iceServers ?? undefined,
        deferred: this.deferred,
      },
      {
        play: (url) => tech.setSrc(url),
        fatal: (message) => this.fail(new P2PError(ErrorCodes.SRC_NOT_FOUND, message, true)),
        stats: (stats) => this.stats.replace(stats),
        peerConnect: (id, swarm) => event(P2PEvents.PEER_CONNECT, { id, rendition: swarm }),
        peerClose: (id, swarm, reason) => event(P2PEvents.PEER_CLOSE, { id, rendition: swarm, reason }),
        warning: (warning) => event(P2PEvents.ERROR, warning),
        segmentRejected: (detail) => event(P2PEvents.SEGMENT_REJECTED, detail),
        // Asked of the origin only when the attribute does not say.
        beacon: fixed === null ? (url) => beacon.setUrl(url) : undefined,
      },
    );
    this.torrent = playback;
    return {
      dispose: () => {
        beacon.close();
        playback.destroy();
        if (this.torrent === playback) this.torrent = undefined;
      },
    };
  }

  // The site's download counts: the beacon URL comes from the `beacon` attribute, else from the stream's swarm
  // metadata (read by the P2P wiring, or here when P2P is off).
  private createBeacon(src: string, media: HTMLMediaElement, session: HlsSession, wiring: P2PWiring | undefined): BeaconReporter {
    const beacon = new BeaconReporter({ src, media, stats: () => this.stats.stats, rendition: () => renditionOf(session.hls, src) });
    const fixed = beaconFromAttribute(this.host.beacon, document.baseURI);
    if (fixed !== null) beacon.setUrl(fixed);
    else if (wiring) wiring.onMetadata((metadata) => beacon.setUrl(metadata.beacon));
    else {
      const hls = session.hls;
      hls.once(Hls.Events.MANIFEST_LOADED, (_event, data) => {
        const url = swarmMetadataUrl(data);
        if (url) fetchSwarmMetadata(url).then((metadata) => beacon.setUrl(metadata.beacon), () => undefined);
      });
    }
    return beacon;
  }

  // p2p="off": hls.js' own loading, with our loader only counting the bytes (init segments included).
  private httpOnlyLoader(): ReturnType<typeof createP2PFragmentLoader> {
    const stats = this.stats;
    return createP2PFragmentLoader({
      engine: {
        plan: async () => ({ kind: 'http', reason: 'p2p off' }),
        httpLoaded: (_info, bytes) => stats.httpBytes(bytes.byteLength, true),
        countHttp: (bytes, mediaSegment) => stats.httpBytes(bytes, mediaSegment),
        checkResumed: async () => false,
        verifiesHttp: false,
        checkHttp: async () => true,
      },
      describe: () => undefined,
    });
  }

  private stopSession(): void {
    this.session?.destroy();
    this.session = undefined;
    this.torrent?.destroy();
    this.torrent = undefined;
    this.wiring?.destroy();
    this.wiring = undefined;
  }

  private createWiring(src: string, media: HTMLMediaElement): P2PWiring {
    const host = this.host;
    const event = (type: string, detail: unknown): boolean => host.dispatchEvent(new CustomEvent(type, { detail }));
    return new P2PWiring(
      src,
      media,
      {
        mode: host.p2p === 'download-only' ? 'download-only' : 'on',
        unverified: host.p2p === 'unverified',
        trackers: host.tracker ?? undefined,
        iceServers: host.iceServers ?? undefined,
        swarmId: host.swarmId ?? undefined,
        verifyHttp: host.verifyHttp,
      },
      {
        stats: (stats) => this.stats.replace(stats),
        peerConnect: (id, swarm) => event(P2PEvents.PEER_CONNECT, { id, rendition: swarm }),
        peerClose: (id, swarm, reason) => event(P2PEvents.PEER_CLOSE, { id, rendition: swarm, reason }),
        warning: (warning) => event(P2PEvents.ERROR, warning),
        segmentRejected: (detail) => event(P2PEvents.SEGMENT_REJECTED, detail),
      },
    );
  }

  private create(): void {
    // Before video.js sets up (~100 ms): a first visit's service worker installs meanwhile.
    this.prepareTorrent(this.host.src);
    registerHlsSourceHandler(videojs);
    registerTorrentSourceHandler(videojs);
    const media = document.createElement('video');
    media.className = 'video-js vjs-fluid';
    media.setAttribute('crossorigin', 'anonymous');
    this.host.appendChild(media);
    const host = this.host;
    const player = videojs(media, {
      controls: host.controls,
      autoplay: host.autoplay,
      muted: host.muted,
      poster: host.poster || undefined,
      preload: preloadValue(host.preload),
      playsinline: host.playsinline,
      fluid: true,
      // Live streams get the DVR seek bar and the live-edge button, whatever the length of their window (video.js
      // waits for 20 s of it by default; an encoder keeping six 2 s segments never has that).
      liveui: true,
      liveTracker: { trackingThreshold: 0 },
      techOrder: ['html5'],
      html5: { [TECH_OPTION]: this, nativeTextTracks: false },
    });
    this.playerRef = player;
    this.mediaRef = (player.tech(true)?.el() as HTMLVideoElement | undefined) ?? media;
    for (const type of MEDIA_EVENTS) this.mediaRef.addEventListener(type, this.forwardMediaEvent);
    player.on('error', this.onPlayerError);
    // The bundled plugins (overlay, stats panel), by name: the element never imports them.
    startPlugins(player, host);
    this.loadedSrc = undefined;
    this.load(host.src);
  }

  private dispose(): void {
    const player = this.playerRef;
    if (!player) return;
    for (const type of MEDIA_EVENTS) this.mediaRef?.removeEventListener(type, this.forwardMediaEvent);
    player.off('error', this.onPlayerError);
    this.stopSession();
    player.dispose();
    this.playerRef = undefined;
    this.mediaRef = undefined;
    this.loadedSrc = undefined;
  }

  private load(src: string | null | undefined): void {
    const player = this.playerRef;
    if (!player) return;
    const next = src ?? '';
    if (next === this.loadedSrc) return;
    this.loadedSrc = next;
    this.stats.reset();
    player.error(null);
    if (!next) {
      // No source: stop the old stream and leave an empty player.
      this.stopSession();
      player.pause();
      const media = this.mediaRef;
      if (media) {
        media.removeAttribute('src');
        media.load();
      }
      return;
    }
    const url = new URL(next, document.baseURI).href;
    this.prepareTorrent(url);
    player.src({ src: url, type: sourceMimeType(url) });
  }

  /** A progressive file or magnet URI about to play with P2P: what its torrent needs starts now. */
  private prepareTorrent(src: string | null | undefined): void {
    if (src && this.host.p2p !== 'off' && !this.deferred && sourceKind(src) !== 'hls') prepareTorrentPlayback();
  }

  /** preload="none" without autoplay: no bytes until the viewer asks for them, as on <video>. */
  private get deferred(): boolean {
    return this.host.preload === 'none' && !this.host.autoplay;
  }

  private fail(error: P2PError): void {
    this.host.dispatchEvent(new CustomEvent(P2PEvents.ERROR, { detail: error.toDetail() }));
    if (!error.fatal || !this.playerRef) return;
    const code =
      error.code === ErrorCodes.SEGMENT_NOT_MEDIA || error.code === ErrorCodes.MEDIA
        ? MEDIA_ERR_DECODE
        : error.code === ErrorCodes.CODEC_UNSUPPORTED
          ? MEDIA_ERR_SRC_NOT_SUPPORTED
          : MEDIA_ERR_NETWORK;
    this.reportingError = true;
    try {
      // video.js accepts a { code, message } object, though its types only admit a MediaError instance.
      (this.playerRef.error as (value: { code: number; message: string }) => void)({ code, message: error.message });
    } finally {
      this.reportingError = false;
    }
  }

  private readonly forwardMediaEvent = (event: Event): void => {
    this.host.dispatchEvent(new Event(event.type));
  };

  // Every player error reaches the page as `error`; one that hls.js did not report (native playback, no
  // compatible source) also gets its `p2perror`.
  private readonly onPlayerError = (): void => {
    const player = this.playerRef;
    if (!player) return;
    if (!this.reportingError) {
      const mediaError = player.error();
      if (!mediaError || mediaError.code === 1) return;
      const hls = isHlsMimeType(sourceMimeType(this.loadedSrc ?? ''));
      const error =
        mediaError.code === MEDIA_ERR_NETWORK
          ? new P2PError(ErrorCodes.NETWORK, 'The video could not be loaded.', true)
          : mediaError.code === MEDIA_ERR_DECODE
            ? new P2PError(ErrorCodes.MEDIA, 'The video could not be decoded.', true)
            : hls
              ? new P2PError(ErrorCodes.HLS_UNSUPPORTED, 'This browser cannot play HLS streams.', true)
              : new P2PError(ErrorCodes.SRC_NOT_FOUND, 'The video could not be loaded, or its format is not supported.', true);
      this.host.dispatchEvent(new CustomEvent(P2PEvents.ERROR, { detail: error.toDetail() }));
    }
    this.host.dispatchEvent(new Event('error'));
  };

  private qualityLevelSink(): QualityLevelSink | undefined {
    const player = this.playerRef as (Player & { qualityLevels?: () => QualityLevelList }) | undefined;
    const list = player?.qualityLevels?.();
    if (!list) return undefined;
    return {
      reset: () => {
        while (list.length > 0) list.removeQualityLevel(list[list.length - 1]);
      },
      add: (level) => {
        list.addQualityLevel(level);
      },
      select: (index) => {
        list.selectedIndex_ = index;
        list.trigger({ type: 'change', selectedIndex: index });
      },
    };
  }
}

/** The rendition playing, as its playlist's path relative to the multivariant playlist ("360p/index.m3u8"). */
function renditionOf(hls: Hls, src: string): string | undefined {
  const level = hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel];
  const url = level?.url[0];
  if (!url) return undefined;
  const strip = (u: string): string => u.split(/[?#]/, 1)[0];
  const base = strip(src);
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  const path = strip(url);
  return path.startsWith(dir) ? path.slice(dir.length) : path;
}
