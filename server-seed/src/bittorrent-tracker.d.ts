// The part of bittorrent-tracker's (untyped) server API that server-seed/src/tracker.ts uses.
declare module 'bittorrent-tracker/server' {
  import type { EventEmitter } from 'node:events';
  import type { WebSocketServer, WebSocketServerOptions } from 'ws';

  export interface TrackerServerOptions {
    /** The announce interval in ms; WebSocket clients are told a fifth of it. */
    interval?: number;
    http?: boolean;
    udp?: boolean;
    ws?: boolean | WebSocketServerOptions;
    stats?: boolean;
    trustProxy?: boolean;
    peersCacheLength?: number;
    peersCacheTtl?: number;
    /** Called before each announce; an error refuses it (the client sees its message as the failure reason). */
    filter?: (infoHash: string, params: Record<string, unknown> & { ip?: string }, callback: (error?: Error | null) => void) => void;
  }

  export interface TrackerSwarm {
    complete: number;
    incomplete: number;
    peers: { readonly keys: string[]; peek(id: string): unknown };
  }

  export default class TrackerServer extends EventEmitter {
    constructor(options?: TrackerServerOptions);
    /** Present when `ws` is not false. */
    ws: WebSocketServer | null;
    /** Swarms by hex info hash. */
    torrents: Record<string, TrackerSwarm>;
    close(callback?: (error?: Error | null) => void): void;
  }
}
