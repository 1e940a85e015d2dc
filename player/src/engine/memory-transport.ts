import type { PeerChannel, PeerChannelEvents, PeerChannelOptions, SignalData, Transport } from './transport.ts';

type Listeners = { [E in keyof PeerChannelEvents]: Set<PeerChannelEvents[E]> };

let nextId = 1;
const registry = new Map<string, MemoryChannel>();

/**
 * Peer channels that live in one process: an offer names its channel, the answer connects the two. Used by unit
 * tests and simulations; delivery is asynchronous (a microtask) and ordered, like a data channel.
 */
export class MemoryTransport implements Transport {
  createPeer(options: PeerChannelOptions): PeerChannel {
    return new MemoryChannel(options.initiator);
  }
}

class MemoryChannel implements PeerChannel {
  readonly id = `mem-${nextId++}`;
  private readonly listeners: Listeners = {
    signal: new Set(),
    connect: new Set(),
    data: new Set(),
    drain: new Set(),
    close: new Set(),
    error: new Set(),
  };
  private remote: MemoryChannel | undefined;
  private closed = false;
  connected = false;
  bufferedAmount = 0;

  constructor(initiator: boolean) {
    registry.set(this.id, this);
    if (initiator) queueMicrotask(() => this.fire('signal', { type: 'offer', sdp: this.id }));
  }

  signal(data: SignalData): void {
    if (this.closed) return;
    const other = registry.get(String(data.sdp));
    if (!other || other === this) {
      this.fire('error', new Error(`unknown memory channel ${String(data.sdp)}`));
      return;
    }
    if (data.type === 'offer') {
      this.remote = other;
      queueMicrotask(() => this.fire('signal', { type: 'answer', sdp: this.id }));
    } else if (data.type === 'answer') {
      this.remote = other;
      other.remote = this;
      queueMicrotask(() => {
        if (this.closed || other.closed) return;
        this.connected = true;
        other.connected = true;
        this.fire('connect', undefined);
        other.fire('connect', undefined);
      });
    }
  }

  send(bytes: Uint8Array): void {
    if (!this.connected || !this.remote) throw new Error('memory channel is not connected');
    const remote = this.remote;
    const copy = bytes.slice();
    this.bufferedAmount += copy.byteLength;
    queueMicrotask(() => {
      this.bufferedAmount -= copy.byteLength;
      if (!remote.closed) remote.fire('data', copy);
      if (this.bufferedAmount === 0 && !this.closed) this.fire('drain', undefined);
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    registry.delete(this.id);
    const remote = this.remote;
    this.remote = undefined;
    queueMicrotask(() => this.fire('close', undefined));
    if (remote && !remote.closed) remote.destroy();
  }

  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    (this.listeners[event] as Set<PeerChannelEvents[E]>).add(listener);
  }

  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    (this.listeners[event] as Set<PeerChannelEvents[E]>).delete(listener);
  }

  private fire<E extends keyof PeerChannelEvents>(event: E, payload: Parameters<PeerChannelEvents[E]>[0]): void {
    for (const listener of [...this.listeners[event]]) (listener as (p: typeof payload) => void)(payload);
  }
}
