import type { PeerChannel, PeerChannelEvents, SignalData } from '../../../player/src/engine/transport.ts';
import { decode, encode, type Message } from '../../../player/src/protocol/index.ts';

/** A data channel that records what a peer session sends and lets the test play the remote peer. */
export class FakeChannel implements PeerChannel {
  readonly sent: Message[] = [];
  bufferedAmount = 0;
  /** When set, each send adds its size to bufferedAmount, like a data channel that is not draining. */
  accumulate = false;
  connected = true;
  destroyed = 0;
  private readonly listeners = new Map<keyof PeerChannelEvents, Set<(payload: never) => void>>();

  signal(_data: SignalData): void {}

  send(bytes: Uint8Array): void {
    this.sent.push(decode(bytes));
    if (this.accumulate) this.bufferedAmount += bytes.byteLength;
  }

  destroy(): void {
    this.destroyed += 1;
    this.connected = false;
  }

  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
  }

  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  fire<E extends keyof PeerChannelEvents>(event: E, payload: Parameters<PeerChannelEvents[E]>[0]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) (listener as (p: typeof payload) => void)(payload);
  }

  /** Delivers a message as if the remote peer had sent it. */
  deliver(message: Message): void {
    this.fire('data', encode(message));
  }

  sentOf<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}
