import SimplePeer from '@thaunknown/simple-peer';
import type { PeerChannel, PeerChannelEvents, PeerChannelOptions, SignalData, Transport } from './transport.ts';

export interface SimplePeerTransportOptions {
  /** RTCConfiguration.iceServers; an empty list means host candidates only (tests, LANs). */
  iceServers: RTCIceServer[];
  /**
   * How long to wait for ICE gathering to finish before sending the offer or answer anyway. Offers travel whole
   * through the tracker (no trickle), and some WebRTC stacks never report the end of gathering.
   */
  iceCompleteTimeoutMs?: number;
}

// Above this many queued bytes the sender waits: browsers close a data channel whose buffer overflows.
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
const DRAIN_POLL_MS = 15;

interface SimplePeerLike {
  signal(data: unknown): void;
  send(data: Uint8Array): void;
  destroy(): void;
  connected: boolean;
  /** The data channel's bufferedAmount (simple-peer has no `bufferedAmount` of its own). */
  bufferSize: number;
  on(event: string, listener: (...args: never[]) => void): void;
}

/** WebRTC data channels through simple-peer: native in browsers, node-datachannel in Node (webrtc-polyfill). */
export class SimplePeerTransport implements Transport {
  /** May change until the first peer is created (the stream's swarm metadata can name ICE servers). */
  readonly options: SimplePeerTransportOptions;

  constructor(options: SimplePeerTransportOptions) {
    this.options = options;
  }

  createPeer(options: PeerChannelOptions): PeerChannel {
    const Peer = SimplePeer as unknown as new (opts: object) => SimplePeerLike;
    const peer = new Peer({
      initiator: options.initiator,
      trickle: false,
      config: { iceServers: this.options.iceServers },
      iceCompleteTimeout: this.options.iceCompleteTimeoutMs ?? 1000,
      channelConfig: { ordered: true },
    });
    return new SimplePeerChannel(peer);
  }
}

class SimplePeerChannel implements PeerChannel {
  private readonly peer: SimplePeerLike;
  private readonly listeners = new Map<keyof PeerChannelEvents, Set<(payload?: unknown) => void>>();
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private destroyed = false;
  // The other side may speak as soon as its end opens, before our owner has attached its 'data' listener.
  private early: Uint8Array[] | undefined = [];

  constructor(peer: SimplePeerLike) {
    this.peer = peer;
    peer.on('signal', (data: SignalData) => this.fire('signal', data));
    peer.on('connect', () => this.fire('connect'));
    peer.on('data', (data: Uint8Array) => {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      if (this.early) this.early.push(bytes); // still queued: keeps the order
      else this.fire('data', bytes);
    });
    peer.on('close', () => this.closed());
    peer.on('error', (error: Error) => this.fire('error', error));
  }

  get bufferedAmount(): number {
    return this.peer.bufferSize;
  }

  get connected(): boolean {
    return this.peer.connected;
  }

  signal(data: SignalData): void {
    if (!this.destroyed) this.peer.signal(data);
  }

  send(bytes: Uint8Array): void {
    this.peer.send(bytes);
    if (this.peer.bufferSize > HIGH_WATER) this.watchDrain();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.peer.destroy();
    this.closed();
  }

  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload?: unknown) => void);
    if (event === 'data' && this.early) {
      // Delivered on the next microtask: the owner may still be wiring its own listeners (a session's
      // constructor attaches 'data' before the swarm listens to the session).
      const queued = this.early;
      queueMicrotask(() => {
        this.early = undefined;
        for (const bytes of queued) this.fire('data', bytes);
      });
    }
  }

  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    this.listeners.get(event)?.delete(listener as (payload?: unknown) => void);
  }

  private closed(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.drainTimer);
    this.fire('close');
  }

  // simple-peer's send() reports no drain; poll the channel's buffer while it is above the high-water mark.
  private watchDrain(): void {
    if (this.drainTimer !== undefined) return;
    const check = (): void => {
      this.drainTimer = undefined;
      if (this.destroyed) return;
      if (this.peer.bufferSize <= LOW_WATER) this.fire('drain');
      else this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
    };
    this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
  }

  private fire(event: keyof PeerChannelEvents, payload?: unknown): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(payload);
  }
}
