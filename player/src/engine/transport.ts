/**
 * The engine's view of a WebRTC connection to one peer. simple-peer implements it in browsers and in Node
 * (through node-datachannel); tests use an in-memory pair. Nothing above this file knows which.
 */
export interface SignalData {
  type?: string;
  sdp?: string;
  [key: string]: unknown;
}

export interface PeerChannelEvents {
  /** Session description to hand to the other side through the tracker (offer or answer, ICE gathered). */
  signal: (data: SignalData) => void;
  connect: () => void;
  data: (bytes: Uint8Array) => void;
  /** The send buffer drained below the low-water mark after being full. */
  drain: () => void;
  close: () => void;
  error: (error: Error) => void;
}

export interface PeerChannel {
  /** Feeds the other side's session description. */
  signal(data: SignalData): void;
  send(bytes: Uint8Array): void;
  /** Bytes queued in the data channel and not yet sent. */
  readonly bufferedAmount: number;
  readonly connected: boolean;
  destroy(): void;
  on<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void;
  off<E extends keyof PeerChannelEvents>(event: E, listener: PeerChannelEvents[E]): void;
}

export interface PeerChannelOptions {
  /** The side that makes the offer. */
  initiator: boolean;
}

export interface Transport {
  createPeer(options: PeerChannelOptions): PeerChannel;
}
