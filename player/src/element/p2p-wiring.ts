import Hls, {
  type AudioTrackLoadedData,
  type Fragment,
  type LevelDetails,
  type LevelSwitchingData,
  type LevelUpdatedData,
  type ManifestLoadedData,
} from 'hls.js';
import { P2PEngine, type EngineWarning, type UpcomingSegment } from '../engine/engine.ts';
import { SimplePeerTransport } from '../engine/simple-peer-transport.ts';
import type { P2PStats } from '../engine/stats.ts';
import { createP2PFragmentLoader } from '../loader/p2p-fragment-loader.ts';
import { acceptAll, type SegmentVerifier } from '../engine/integrity.ts';
import { ManifestVerifier } from '../engine/manifest-verifier.ts';
import { fetchHashManifest, fetchSwarmMetadata, parseIceServers, resolveTracker, swarmMetadataUrl, type SwarmMetadata } from './swarm-metadata.ts';

/** The element's P2P settings for one source, read from its attributes when the source is loaded. */
export interface P2PSettings {
  mode: 'on' | 'download-only';
  /** `p2p="unverified"`: take peers' bytes even without a hash manifest to check them against. */
  unverified?: boolean;
  /** `tracker` attribute, or undefined to take the swarm metadata's. */
  trackers?: string;
  /** `ice-servers` attribute, or undefined to take the swarm metadata's. */
  iceServers?: string;
  /** `swarm-id` attribute. */
  swarmId?: string;
  /** `verify-http`: segments from the origin are checked against the hash manifest too. */
  verifyHttp?: boolean;
}

export interface P2PWiringEvents {
  stats(stats: P2PStats): void;
  peerConnect(id: string, swarm: string): void;
  peerClose(id: string, swarm: string, reason: string): void;
  warning(warning: EngineWarning): void;
  segmentRejected(event: { url: string; peer: string; reason: string }): void;
}

/**
 * Connects one hls.js session to one engine: provides the fragment loader for hls.js' config, resolves the swarm
 * (attributes, then the stream's swarm.json) and joins the swarm of the rendition being played.
 */
export class P2PWiring {
  readonly engine: P2PEngine;
  readonly loader: ReturnType<typeof createP2PFragmentLoader>;
  private readonly src: string;
  private readonly settings: P2PSettings;
  private readonly events: P2PWiringEvents;
  private readonly transport: SimplePeerTransport;
  private readonly abort = new AbortController();
  private readonly media: HTMLMediaElement;
  private hls: Hls | undefined;
  private metadata: SwarmMetadata | undefined;
  private metadataListeners: ((metadata: SwarmMetadata) => void)[] = [];
  /** The site's hash manifest, refreshed while a live playlist moves. */
  private verifier: ManifestVerifier | undefined;

  constructor(src: string, media: HTMLMediaElement, settings: P2PSettings, events: P2PWiringEvents) {
    this.src = src;
    this.media = media;
    this.settings = settings;
    this.events = events;
    this.transport = new SimplePeerTransport({ iceServers: [] });
    this.engine = new P2PEngine(
      { transport: this.transport },
      { baseUrl: src, uploads: settings.mode !== 'download-only', playhead: () => media.currentTime },
    );
    this.engine.on('stats', (stats) => events.stats(stats));
    this.engine.on('peerconnect', ({ id, swarm }) => events.peerConnect(id, swarm));
    this.engine.on('peerclose', ({ id, swarm, reason }) => events.peerClose(id, swarm, reason));
    this.engine.on('warning', (warning) => events.warning(warning));
    this.engine.on('segmentrejected', (event) => events.segmentRejected(event));
    this.loader = createP2PFragmentLoader({ engine: this.engine, describe: (frag) => this.describe(frag) });
    // The swarm metadata is read once the playlist is in; segments asked for before then may wait for it.
    this.engine.expectConfig();
  }

  /** Calls back with the stream's swarm metadata once it has been read (at once if it already has). */
  onMetadata(listener: (metadata: SwarmMetadata) => void): void {
    if (this.metadata) listener(this.metadata);
    else this.metadataListeners.push(listener);
  }

  attach(hls: Hls): void {
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_LOADED, this.onManifestLoaded);
    hls.on(Hls.Events.LEVEL_SWITCHING, this.onLevelSwitching);
    hls.on(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    hls.on(Hls.Events.AUDIO_TRACK_LOADED, this.onAudioTrackLoaded);
  }

  destroy(): void {
    this.abort.abort();
    this.hls?.off(Hls.Events.MANIFEST_LOADED, this.onManifestLoaded);
    this.hls?.off(Hls.Events.LEVEL_SWITCHING, this.onLevelSwitching);
    this.hls?.off(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    this.hls?.off(Hls.Events.AUDIO_TRACK_LOADED, this.onAudioTrackLoaded);
    this.hls = undefined;
    this.verifier = undefined;
    this.engine.destroy();
  }

  private describe(
    frag: Fragment,
  ): { levelUrl: string; range?: { offset: number; length: number }; expectedBytes: number; next: UpcomingSegment[] } | undefined {
    if (!(this.engine.configured || this.engine.configuring) || typeof frag.sn !== 'number') return undefined;
    const hls = this.hls;
    if (!hls) return undefined;
    // Main fragments belong to a variant; audio fragments to an alternate audio rendition (its own swarm).
    const rendition =
      frag.type === 'main'
        ? hls.levels[frag.level]
        : frag.type === 'audio'
          ? hls.audioTracks.find((track) => track.id === frag.level) ?? hls.audioTracks[frag.level]
          : undefined;
    if (!rendition) return undefined;
    const level = rendition as { url: string[] | string; details?: { fragments: Fragment[] }; bitrate?: number; averageBitrate?: number };
    const levelUrl = (Array.isArray(level.url) ? level.url[0] : level.url) ?? frag.baseurl;
    const bitrate = level.averageBitrate || level.bitrate || (frag.type === 'audio' ? 128_000 : 1_000_000);
    // What hls.js will ask for next anyway: segments that start within its forward buffer from the playhead.
    const horizon = this.media.currentTime + hls.config.maxBufferLength;
    const next = (level.details?.fragments ?? [])
      .filter((f) => typeof f.sn === 'number' && f.sn > (frag.sn as number) && f.start < horizon)
      .slice(0, 3)
      .map((f) => ({ sn: f.sn as number, url: f.url, range: rangeOf(f), start: f.start, duration: f.duration }));
    return { levelUrl, range: rangeOf(frag), expectedBytes: Math.ceil((bitrate * frag.duration) / 8), next };
  }

  private readonly onManifestLoaded = (_event: string, data: ManifestLoadedData): void => {
    const url = swarmMetadataUrl(data);
    if (!url) {
      this.configure({});
      return;
    }
    fetchSwarmMetadata(url, this.abort.signal).then(
      (metadata) => this.configure(metadata),
      (error: Error) => {
        if (this.abort.signal.aborted) return;
        this.events.warning({ code: 'ERR_SWARM_METADATA', message: `Swarm metadata unusable: ${error.message}`, fatal: false });
        this.configure({});
      },
    );
  };

  // Peers are used only when their bytes can be checked against the site's hash manifest, unless the page opted
  // out with p2p="unverified"; otherwise everything comes over HTTP, with a warning that says why.
  private configure(metadata: SwarmMetadata): void {
    if (this.abort.signal.aborted) return;
    this.metadata = metadata;
    for (const listener of this.metadataListeners.splice(0)) listener(metadata);
    const base = document.baseURI;
    const trackers =
      this.settings.trackers !== undefined
        ? this.settings.trackers.split(/\s+/).filter(Boolean).flatMap((t) => resolveTracker(t, base))
        : (metadata.trackers ?? []);
    // No tracker, no swarm: a plain stream plays over HTTP, and there is nothing to warn about.
    if (trackers.length === 0) return this.engine.giveUp();
    if (this.settings.unverified) return this.join(metadata, trackers, acceptAll);
    if (!metadata.hashes) {
      this.engine.giveUp();
      this.events.warning({
        code: 'ERR_NO_HASHES',
        message: 'The stream publishes no hash manifest, so bytes from peers cannot be checked: playing over HTTP only.',
        fatal: false,
      });
      return;
    }
    // The swarm is joined while the manifest loads: it is needed only when the first bytes from a peer arrive.
    // A live stream's manifest grows with its playlist: refreshes bypass every cache.
    const url = metadata.hashes;
    const verifier = new ManifestVerifier({ load: (fresh) => fetchHashManifest(url, this.abort.signal, { fresh }) });
    this.verifier = verifier;
    this.join(metadata, trackers, verifier);
    // Only the first load failing leaves the swarm; a refresh that fails keeps the hashes known.
    void verifier.ready.then((ok) => {
      if (ok || this.abort.signal.aborted) return;
      this.engine.leave();
      this.events.warning({ code: 'ERR_HASH_MANIFEST', message: 'Hash manifest unusable: playing over HTTP only.', fatal: false });
    });
  }

  private join(metadata: SwarmMetadata, trackers: string[], verifier: SegmentVerifier): void {
    if (this.abort.signal.aborted) return;
    this.transport.options.iceServers =
      this.settings.iceServers !== undefined ? parseIceServers(this.settings.iceServers) : (metadata.iceServers ?? []);
    const swarmId = this.settings.swarmId || metadata.swarmId || this.src.split(/[?#]/, 1)[0];
    this.engine.configure({ swarmId, trackers, verifier, verifyHttp: this.settings.verifyHttp === true && verifier !== acceptAll });
    const hls = this.hls;
    const level = hls && hls.levels[hls.loadLevel >= 0 ? hls.loadLevel : hls.firstLevel];
    if (level) this.engine.join(level.url[0]);
  }

  private readonly onLevelSwitching = (_event: string, data: LevelSwitchingData): void => {
    const url = data.url[0];
    if (this.engine.configured && url) this.engine.join(url);
  };

  private readonly onLevelUpdated = (_event: string, data: LevelUpdatedData): void => {
    const url = this.hls?.levels[data.level]?.url[0];
    if (url) this.liveUpdate(url, data.details);
  };

  private readonly onAudioTrackLoaded = (_event: string, data: AudioTrackLoadedData): void => {
    if (data.track.url) this.liveUpdate(data.track.url, data.details);
  };

  // A live playlist moved: new segments need their hashes, and segments that slid out of it leave the store.
  private liveUpdate(levelUrl: string, details: LevelDetails): void {
    if (!details.live || this.abort.signal.aborted) return;
    void this.verifier?.refresh('playlist');
    this.engine.setLiveWindow(levelUrl, details.startSN);
  }
}

/** A fragment's byte range as the hash manifest names it, if it has one. */
function rangeOf(frag: Fragment): { offset: number; length: number } | undefined {
  const [start, end] = frag.byteRange;
  return start !== undefined && end !== undefined && end > start ? { offset: start, length: end - start } : undefined;
}
