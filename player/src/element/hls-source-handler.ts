import Hls from 'hls.js';
import type videojs from 'video.js';
import { isHlsMimeType } from './source-type.ts';

type VideoJs = typeof videojs;

/** Something video.js can dispose when the source changes or the player goes away. */
export interface SourceSession {
  dispose(): void;
}

export interface SourceInfo {
  src: string;
  type?: string;
}

/** Per-player hook, passed to the Html5 tech in the player's options as `html5.p2pVideo`. */
export interface SourceSessionFactory {
  createSession(source: SourceInfo, media: HTMLMediaElement): SourceSession;
}

export const TECH_OPTION = 'p2pVideo';

interface TechLike {
  el(): Element;
  options_?: Record<string, unknown>;
}

const registered = new WeakSet<object>();

/**
 * Registers hls.js as a source handler of video.js' Html5 tech, ahead of the native one. Where Media Source
 * Extensions are missing (iOS Safari before ManagedMediaSource), it declines, and video.js' native handler plays
 * HLS with the browser's own engine.
 */
export function registerHlsSourceHandler(vjs: VideoJs): void {
  const Html5 = vjs.getTech('Html5') as unknown as {
    registerSourceHandler(handler: object, index?: number): void;
  };
  if (registered.has(Html5)) return;
  registered.add(Html5);

  const canPlayType = (type: string): '' | 'maybe' => (isHlsMimeType(type) && Hls.isSupported() ? 'maybe' : '');

  Html5.registerSourceHandler(
    {
      name: 'p2p-video-hls',
      canPlayType,
      canHandleSource: (source: SourceInfo) => canPlayType(source.type ?? ''),
      handleSource(source: SourceInfo, tech: TechLike, options: Record<string, unknown>): SourceSession {
        const factory = (options[TECH_OPTION] ?? tech.options_?.[TECH_OPTION]) as SourceSessionFactory | undefined;
        if (!factory) throw new Error('p2p-video: this player was not created by <p2p-video>');
        return factory.createSession(source, tech.el() as HTMLMediaElement);
      },
    },
    0,
  );
}
