import type videojs from 'video.js';
import { TECH_OPTION, type SourceInfo, type SourceSession } from '../element/hls-source-handler.ts';
import { TORRENT_MIME } from '../element/source-type.ts';

type VideoJs = typeof videojs;

/** The part of video.js' Html5 tech a torrent source uses: it sets the media element's `src` when it knows it. */
export interface TorrentTech {
  el(): Element;
  setSrc(src: string): void;
}

/** Per-player hook (the same `html5.p2pVideo` option as the HLS handler's) for progressive files and magnets. */
export interface TorrentSourceFactory {
  /** Whether this player plays `source` through a torrent (P2P on for a file, or any magnet URI). */
  handlesTorrent(source: SourceInfo): boolean;
  createTorrentSession(source: SourceInfo, tech: TorrentTech): SourceSession;
}

interface TechLike extends TorrentTech {
  options_?: Record<string, unknown>;
}

const registered = new WeakSet<object>();
let probe: HTMLMediaElement | undefined;

/**
 * Registers the torrent source handler of video.js' Html5 tech, ahead of the native one: a progressive file the
 * browser can play (with P2P on) or a `magnet:` URI goes to the player's TorrentPlayback, which sets the media
 * element's `src` to the torrent's stream, or to the file itself when there is no torrent. Players not made by
 * `<p2p-video>` (no factory in their options) are left to the native handler.
 */
export function registerTorrentSourceHandler(vjs: VideoJs): void {
  const Html5 = vjs.getTech('Html5') as unknown as {
    registerSourceHandler(handler: object, index?: number): void;
  };
  if (registered.has(Html5)) return;
  registered.add(Html5);

  const factoryOf = (options: Record<string, unknown> | undefined): TorrentSourceFactory | undefined => {
    const factory = options?.[TECH_OPTION] as Partial<TorrentSourceFactory> | undefined;
    return typeof factory?.handlesTorrent === 'function' ? (factory as TorrentSourceFactory) : undefined;
  };

  Html5.registerSourceHandler(
    {
      name: 'p2p-video-torrent',
      // Claims no type on its own (player.canPlayType stays the browser's answer); it picks sources per player.
      canPlayType: () => '',
      canHandleSource: (source: SourceInfo, options?: Record<string, unknown>): '' | 'maybe' => {
        const type = (source.type ?? '').toLowerCase();
        if (type !== TORRENT_MIME && !browserPlays(type)) return '';
        return factoryOf(options)?.handlesTorrent(source) ? 'maybe' : '';
      },
      handleSource(source: SourceInfo, tech: TechLike, options: Record<string, unknown>): SourceSession {
        const factory = factoryOf(options) ?? factoryOf(tech.options_);
        if (!factory) throw new Error('p2p-video: this player was not created by <p2p-video>');
        return factory.createTorrentSession(source, tech);
      },
    },
    0,
  );
}

function browserPlays(type: string): boolean {
  if (!type.startsWith('video/') && !type.startsWith('audio/')) return false;
  probe ??= document.createElement('video');
  return probe.canPlayType(type) !== '';
}
