import { LitElement, type PropertyValues } from 'lit';
import type Player from 'video.js/dist/types/player';
import type { P2PEngine } from '../engine/engine.ts';
import type { P2PStats } from '../engine/stats.ts';
import type { P2PErrorDetail } from './errors.ts';
import { collectDetails, type P2PDetails } from './p2p-details.ts';
import { PlayerController, type MediaAttribute } from './player-controller.ts';
import { StatsReporter } from './stats-reporter.ts';
import { injectStyles } from './styles.ts';

const MEDIA_ATTRIBUTES: readonly MediaAttribute[] = ['src', 'autoplay', 'muted', 'controls', 'poster', 'preload', 'playsinline'];

/**
 * `<p2p-video src="…m3u8">`: a video.js player playing HLS through hls.js. video.js lives in light DOM so the
 * page's CSS and video.js skins apply; lit only tracks attributes and never renders over the player.
 */
export class P2PVideoElement extends LitElement {
  static override properties = {
    src: { type: String, reflect: true },
    autoplay: { type: Boolean, reflect: true },
    muted: { type: Boolean, reflect: true },
    controls: { type: Boolean, reflect: true },
    poster: { type: String, reflect: true },
    preload: { type: String, reflect: true },
    playsinline: { type: Boolean, reflect: true },
    p2p: { type: String, reflect: true },
    tracker: { type: String, reflect: true },
    iceServers: { type: String, reflect: true, attribute: 'ice-servers' },
    swarmId: { type: String, reflect: true, attribute: 'swarm-id' },
    verifyHttp: { type: Boolean, reflect: true, attribute: 'verify-http' },
    overlay: { type: Boolean, reflect: true },
    beacon: { type: String, reflect: true },
    liveHoldBack: { type: Number, reflect: true, attribute: 'live-hold-back' },
  };

  declare src: string;
  declare autoplay: boolean;
  declare muted: boolean;
  declare controls: boolean;
  declare poster: string;
  declare preload: string;
  declare playsinline: boolean;
  /** `off`: plain HTTP; `download-only`: never upload; `unverified`: accept peer bytes without a hash manifest. */
  declare p2p: string | null;
  /** Space-separated WebSocket tracker URLs; default: the stream's swarm metadata. */
  declare tracker: string | null;
  /** Space-separated stun:/turn: URLs; present and empty means none; default: the stream's swarm metadata. */
  declare iceServers: string | null;
  declare swarmId: string | null;
  /** Check segments from the origin against the hash manifest too (for mirrors and CDNs the site does not run). */
  declare verifyHttp: boolean;
  /** Shows the peer/origin overlay (its control-bar button sets it too). */
  declare overlay: boolean;
  /** The site's beacon URL for download counts; `off` sends none; default: the stream's swarm metadata. */
  declare beacon: string | null;
  /**
   * Live streams: target durations to play behind hls.js' usual distance from the live edge, 0..3; default 2 with
   * peers (time for a new segment to spread through the swarm), 0 with `p2p="off"`.
   */
  declare liveHoldBack: number | null;

  private readonly statsReporter = new StatsReporter(this);
  private readonly playerController = new PlayerController(this, this.statsReporter);

  constructor() {
    super();
    this.src = '';
    this.autoplay = false;
    this.muted = false;
    this.controls = false;
    this.poster = '';
    this.preload = 'auto';
    this.playsinline = false;
    this.p2p = null;
    this.tracker = null;
    this.iceServers = null;
    this.swarmId = null;
    this.verifyHttp = false;
    this.overlay = false;
    this.beacon = null;
    this.liveHoldBack = null;
  }

  /** The engine of the current source (read-only use: stats and events), while P2P is on. */
  get engine(): P2PEngine | undefined {
    return this.playerController.engine;
  }

  /** The underlying `<video>` element, while the element is connected. */
  get media(): HTMLVideoElement | undefined {
    return this.playerController.media;
  }

  /** The video.js player, while the element is connected. */
  get player(): Player | undefined {
    return this.playerController.player;
  }

  /**
   * Where the current source's bytes come from, in detail (peers, trackers, swarm, rendition, buffer, the last
   * minutes per second), as fresh plain objects: what the overlay and the stats panel show.
   */
  p2pDetails(): P2PDetails {
    return collectDetails({ ...this.playerController.detailsParts(), stats: this.statsReporter.stats, history: this.statsReporter.history });
  }

  /** Segment byte counters since the current `src` was set; a fresh object on every read. */
  get stats(): P2PStats {
    return this.statsReporter.stats;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    injectStyles(this.ownerDocument);
    super.connectedCallback();
  }

  protected override updated(changed: PropertyValues<this>): void {
    this.playerController.apply(MEDIA_ATTRIBUTES.filter((name) => changed.has(name)));
    if (changed.has('overlay')) this.playerController.showOverlay(this.overlay);
  }
}

export interface P2PVideoEventMap {
  p2pstats: CustomEvent<P2PStats>;
  p2perror: CustomEvent<P2PErrorDetail>;
}

declare global {
  interface HTMLElementTagNameMap {
    'p2p-video': P2PVideoElement;
  }
  interface HTMLElementEventMap extends P2PVideoEventMap {}
}
