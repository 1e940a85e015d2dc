// The part of webtorrent's (untyped) Node API that server-seed/src/torrent/ uses. Imported by its file path
// ('webtorrent/index.js', the Node entry), so this cannot clash with the browser side's view of 'webtorrent'.
declare module 'webtorrent/index.js' {
  import type { EventEmitter } from 'node:events';

  export interface WebTorrentOptions {
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    utp?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    webSeeds?: boolean;
    maxConns?: number;
    /** Bytes per second over all torrents; -1 (the default) is no limit. */
    uploadLimit?: number;
    tracker?: false | { rtcConfig?: RTCConfiguration; wrtc?: unknown };
  }

  export interface AddOptions {
    announce?: string[];
    /** A chunk store constructor: new store(pieceLength, { ...storeOpts, length, files, … }). */
    store?: unknown;
    storeOpts?: Record<string, unknown>;
    skipVerify?: boolean;
    path?: string;
    uploads?: number;
  }

  export interface Torrent extends EventEmitter {
    readonly infoHash: string;
    readonly numPeers: number;
    readonly ready: boolean;
    readonly done: boolean;
    readonly destroyed: boolean;
    readonly progress: number;
    readonly uploaded: number;
    readonly downloaded: number;
    readonly files: { name: string; length: number; path: string }[];
    destroy(options?: { destroyStore?: boolean }, cb?: (error?: Error | null) => void): void;
    destroy(cb?: (error?: Error | null) => void): void;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(options?: WebTorrentOptions);
    readonly torrents: Torrent[];
    readonly listening: boolean;
    add(torrentId: string | Uint8Array, options?: AddOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    /** Bytes per second over all torrents; -1: none. */
    throttleUpload(rate: number): void;
    destroy(cb?: (error?: Error | null) => void): void;
  }
}
