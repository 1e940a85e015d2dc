// The part of WebTorrent 2.x's browser build (an ES module without types) the player uses.
declare module 'webtorrent/dist/webtorrent.min.js' {
  export interface ClientOptions {
    /** false: no trackers at all; rtcConfig: the RTCPeerConnection configuration for peers found by trackers. */
    tracker?: false | { rtcConfig?: RTCConfiguration };
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    webSeeds?: boolean;
    maxConns?: number;
  }

  /** A torrent known by its info hash only: the shape parse-torrent gives a magnet URI. */
  export interface TorrentIdentity {
    infoHash: string;
    name?: string;
    announce: string[];
    urlList: string[];
    xs?: string[];
  }

  export interface AddOptions {
    announce?: string[];
    urlList?: string[];
    deselect?: boolean;
    /** 0 or false: never unchoke a peer in the regular rechoke. */
    uploads?: number | false;
    maxWebConns?: number;
    destroyStoreOnDestroy?: boolean;
    strategy?: 'sequential' | 'rarest';
  }

  export interface Wire {
    readonly type: 'webrtc' | 'webSeed' | string;
    readonly peerId: string;
    readonly downloaded: number;
    readonly uploaded: number;
    readonly isSeeder: boolean;
    readonly destroyed: boolean;
    downloadSpeed(): number;
    uploadSpeed(): number;
    choke(): void;
    unchoke(): void;
    destroy(): void;
    /** Which pieces the peer has (for a web seed, every piece it has not failed on lately). */
    readonly peerPieces: { get(index: number): boolean };
    /** The lt_donthave extension; `onMessage` is how a peer's "don't have piece N" is received. */
    lt_donthave?: { onMessage(message: Uint8Array): void };
    on(event: 'piece', listener: (index: number, offset: number, buffer: Uint8Array) => void): this;
    on(event: 'upload', listener: (bytes: number) => void): this;
    once(event: 'close', listener: () => void): this;
  }

  export interface TorrentFile {
    readonly name: string;
    readonly path: string;
    readonly length: number;
    readonly offset: number;
    select(priority?: number): void;
    deselect(): void;
    /** Bytes start..end (inclusive) as they are verified, in piece-sized chunks. */
    [Symbol.asyncIterator](range?: { start?: number; end?: number }): AsyncIterator<Uint8Array>;
  }

  /** A web seed's HTTP range request for part of a piece. */
  type HttpRequest = (index: number, offset: number, length: number, callback: (error: Error | null, data?: Uint8Array) => void) => Promise<void>;

  export interface Torrent {
    readonly infoHash: string;
    readonly name: string;
    readonly ready: boolean;
    readonly destroyed: boolean;
    readonly done: boolean;
    readonly length: number;
    readonly pieceLength: number;
    readonly pieces: ArrayLike<unknown>;
    readonly files: TorrentFile[];
    readonly wires: Wire[];
    readonly numPeers: number;
    announce: string[];
    urlList: string[];
    critical(start: number, end: number): void;
    // WebTorrent's own "stream" selections (what a file iterator adds): never merged with others, removed one by one.
    _select(start: number, end: number, priority: number, notify: undefined, isStreamSelection: true): void;
    _deselect(start: number, end: number, isStreamSelection: true): void;
    /** Schedules a pass over the wires to ask for more pieces (in requestIdleCallback, in a browser). */
    _update(): void;
    /** That pass, now. */
    _updateWireWrapper(): void;
    /** Every peer by id (a web seed's id is its URL); a web seed's `conn` is the WebConn that makes its HTTP requests. */
    readonly _peers: Map<string, { wire?: Wire; conn?: { httpRequest?: HttpRequest } }>;
    /** Before 'ready': reads back every piece already in the store and checks its hash. */
    _verifyPieces(callback: (error: Error | null) => void): void;
    /** The SHA-1 of every piece, hex (set once the metadata is in). */
    readonly _hashes: string[];
    readonly lastPieceLength: number;
    readonly store: { put(index: number, bytes: Uint8Array, callback: (error?: Error | null) => void): void };
    /** Piece `index` is in the store and matched its hash: sets the bitfield, emits 'verified'. */
    _markVerified(index: number): void;
    select(start: number, end: number, priority?: number): void;
    deselect(start: number, end: number): void;
    destroy(options?: { destroyStore?: boolean }, callback?: (error?: Error) => void): void;
    on(event: 'infoHash', listener: (infoHash: string) => void): this;
    on(event: 'ready' | 'done' | 'trackerAnnounce', listener: () => void): this;
    on(event: 'error' | 'warning', listener: (error: Error | string) => void): this;
    on(event: 'wire', listener: (wire: Wire) => void): this;
    on(event: 'verified', listener: (index: number) => void): this;
    once(event: 'ready' | 'infoHash' | 'close', listener: () => void): this;
    once(event: 'error', listener: (error: Error | string) => void): this;
    removeListener(event: string, listener: (...args: never[]) => void): this;
  }

  export interface Client {
    readonly peerId: string;
    readonly destroyed: boolean;
    readonly torrents: Torrent[];
    add(torrentId: Uint8Array | string | TorrentIdentity, options?: AddOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    destroy(callback?: (error?: Error) => void): void;
    on(event: 'error' | 'warning', listener: (error: Error | string) => void): this;
  }

  const WebTorrent: {
    new (options?: ClientOptions): Client;
    readonly WEBRTC_SUPPORT: boolean;
  };
  export default WebTorrent;
}
