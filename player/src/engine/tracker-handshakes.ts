/**
 * The WebRTC channels a tracker client owns before it hands them over: our offers waiting for an answer, and our
 * answers to relayed offers waiting to connect. Each has a timer; every one is destroyed if it goes nowhere.
 * `Route` is whatever the signalling went through (the tracker connection), so a lost route drops its channels.
 */
import { bytesToBinary } from './tracker-messages.ts';
import type { Clock } from './tracker-socket.ts';
import type { PeerChannel, PeerChannelEvents, SignalData, Transport } from './transport.ts';

export interface HandshakeOptions {
  transport: Transport;
  clock: Clock;
  random: () => number;
  /** Ours: decides which of two crossing connections survives. */
  peerIdHex: string;
  /** An offer nobody answered, or an answered-by-us channel that never connected, is destroyed after this. */
  offerTimeoutMs: number;
  /** A channel that produces no offer/answer in this time is destroyed. */
  signalTimeoutMs: number;
  hasPeer: (peerIdHex: string) => boolean;
  /** The caller owns `channel` from now on. */
  handOver: (channel: PeerChannel, peerIdHex: string, initiator: boolean) => void;
  log: (line: string) => void;
}

export interface ReadyOffer {
  readonly offerId: string;
  readonly offer: SignalData;
}

interface Pending<Route> {
  channel: PeerChannel;
  route: Route;
  timer?: unknown;
  detach: () => void;
}

interface PendingOffer<Route> extends Pending<Route> {
  offerId: string;
  offer?: SignalData;
  /** Sent to the tracker: an answer may come. */
  sent: boolean;
  /** Tells the batch waiting for this offer that it is ready or gone. */
  settle: () => void;
}

interface PendingAnswer<Route> extends Pending<Route> {
  peerIdHex: string;
  /** Our answer went out; waiting for the channel to connect. */
  answered: boolean;
}

export class Handshakes<Route> {
  private readonly offers = new Map<string, PendingOffer<Route>>();
  private readonly answers = new Map<string, PendingAnswer<Route>>();
  private offerCount = 0;

  constructor(private readonly options: HandshakeOptions) {}

  /** Relayed offers we are answering. */
  get answering(): number {
    return this.answers.size;
  }

  isAnswering(peerIdHex: string): boolean {
    return this.answers.has(peerIdHex);
  }

  /** Our offers created or sent through `route` and not yet answered. */
  offersVia(route: Route): number {
    let count = 0;
    for (const offer of this.offers.values()) if (offer.route === route) count += 1;
    return count;
  }

  /** Creates `count` offering channels; `done` gets those that produced their offer in time. */
  createOffers(route: Route, count: number, done: (offers: ReadyOffer[]) => void): void {
    const batch: PendingOffer<Route>[] = [];
    let unsettled = count;
    const settleOne = (): void => {
      unsettled -= 1;
      if (unsettled > 0) return;
      done(batch.filter((offer): offer is PendingOffer<Route> & ReadyOffer => this.isLive(offer) && offer.offer !== undefined));
    };
    for (let i = 0; i < count; i++) {
      const channel = this.createChannel(true);
      if (!channel) {
        settleOne();
        continue;
      }
      let settled = false;
      const offer: PendingOffer<Route> = {
        channel,
        route,
        offerId: this.newOfferId(),
        sent: false,
        detach: () => {},
        settle: () => {
          if (settled) return;
          settled = true;
          settleOne();
        },
      };
      offer.detach = listen(channel, {
        signal: (data) => {
          if (offer.offer || !this.isLive(offer)) return;
          offer.offer = data;
          this.clearTimer(offer);
          offer.settle();
        },
        close: () => this.dropOffer(offer),
        error: (error) => {
          this.options.log(`an offering channel failed: ${error.message}`);
          this.dropOffer(offer);
        },
      });
      offer.timer = this.options.clock.setTimeout(() => {
        this.options.log('a channel produced no offer in time');
        this.dropOffer(offer);
      }, this.options.signalTimeoutMs);
      this.offers.set(offer.offerId, offer);
      batch.push(offer);
    }
  }

  /** The offers went out: they may be answered until the offer timeout. */
  sent(offers: readonly ReadyOffer[]): void {
    for (const { offerId } of offers) {
      const offer = this.offers.get(offerId);
      if (!offer) continue;
      offer.sent = true;
      offer.timer = this.options.clock.setTimeout(() => {
        this.options.log('an offer went unanswered');
        this.dropOffer(offer);
      }, this.options.offerTimeoutMs);
    }
  }

  /** The offers could not be sent. */
  discard(offers: readonly ReadyOffer[]): void {
    for (const { offerId } of offers) {
      const offer = this.offers.get(offerId);
      if (offer) this.dropOffer(offer);
    }
  }

  /** An answer to one of our offers, relayed through `route`. 'unknown': we have no such offer (or no longer). */
  answer(route: Route, peerIdHex: string, offerId: string, answer: SignalData): 'taken' | 'dropped' | 'unknown' {
    const offer = this.offers.get(offerId);
    if (!offer || !offer.sent || offer.route !== route) return 'unknown';
    if (this.options.hasPeer(peerIdHex)) {
      this.options.log(`dropping the answer of ${peerIdHex.slice(0, 8)}: already a peer`);
      this.dropOffer(offer);
      return 'dropped';
    }
    const crossing = this.answers.get(peerIdHex);
    if (crossing) {
      // We answered their offer and they answered ours. Both sides see this and keep the same channel:
      // the one offered by the smaller peer id.
      if (this.options.peerIdHex > peerIdHex) {
        this.dropOffer(offer);
        return 'dropped';
      }
      this.dropAnswer(crossing);
    }
    this.offers.delete(offerId);
    this.clearTimer(offer);
    offer.detach();
    this.options.handOver(offer.channel, peerIdHex, true);
    try {
      offer.channel.signal(answer);
    } catch (error) {
      this.options.log(`the answer of ${peerIdHex.slice(0, 8)} was refused: ${(error as Error).message}`);
      offer.channel.destroy();
    }
    return 'taken';
  }

  /**
   * Answers a relayed offer (the caller decided we want this peer). `send` delivers our answer; the channel is
   * handed over when it connects, so that until then a crossing connection can still replace it.
   */
  acceptOffer(route: Route, peerIdHex: string, offer: SignalData, send: (answer: SignalData) => boolean): void {
    const channel = this.createChannel(false);
    if (!channel) return;
    const pending: PendingAnswer<Route> = { channel, route, peerIdHex, answered: false, detach: () => {} };
    const live = (): boolean => this.answers.get(peerIdHex) === pending;
    pending.detach = listen(channel, {
      signal: (answer) => {
        if (pending.answered || !live()) return;
        if (!send(answer)) {
          this.dropAnswer(pending);
          return;
        }
        pending.answered = true;
        this.clearTimer(pending);
        pending.timer = this.options.clock.setTimeout(() => {
          this.options.log(`the channel to ${peerIdHex.slice(0, 8)} never connected`);
          this.dropAnswer(pending);
        }, this.options.offerTimeoutMs);
      },
      connect: () => {
        if (!live()) return;
        this.answers.delete(peerIdHex);
        this.clearTimer(pending);
        pending.detach();
        this.options.handOver(channel, peerIdHex, false);
      },
      close: () => this.dropAnswer(pending),
      error: (error) => {
        this.options.log(`the channel to ${peerIdHex.slice(0, 8)} failed: ${error.message}`);
        this.dropAnswer(pending);
      },
    });
    pending.timer = this.options.clock.setTimeout(() => {
      this.options.log('a channel produced no answer in time');
      this.dropAnswer(pending);
    }, this.options.signalTimeoutMs);
    this.answers.set(peerIdHex, pending);
    try {
      channel.signal(offer);
    } catch (error) {
      this.options.log(`the offer of ${peerIdHex.slice(0, 8)} was refused: ${(error as Error).message}`);
      this.dropAnswer(pending);
    }
  }

  /** `route` is gone: drops what still needed it (our offers, and answers not yet sent). */
  dropRoute(route: Route): void {
    for (const offer of [...this.offers.values()]) if (offer.route === route) this.dropOffer(offer);
    for (const answer of [...this.answers.values()]) if (answer.route === route && !answer.answered) this.dropAnswer(answer);
  }

  /** Destroys every channel not yet handed over. */
  destroy(): void {
    for (const offer of [...this.offers.values()]) this.dropOffer(offer);
    for (const answer of [...this.answers.values()]) this.dropAnswer(answer);
  }

  private createChannel(initiator: boolean): PeerChannel | undefined {
    try {
      return this.options.transport.createPeer({ initiator });
    } catch (error) {
      this.options.log(`cannot create a peer channel: ${(error as Error).message}`);
      return undefined;
    }
  }

  private isLive(offer: PendingOffer<Route>): boolean {
    return this.offers.get(offer.offerId) === offer;
  }

  private dropOffer(offer: PendingOffer<Route>): void {
    if (this.isLive(offer)) this.offers.delete(offer.offerId);
    this.release(offer);
    offer.settle();
  }

  private dropAnswer(answer: PendingAnswer<Route>): void {
    if (this.answers.get(answer.peerIdHex) === answer) this.answers.delete(answer.peerIdHex);
    this.release(answer);
  }

  private release(pending: Pending<Route>): void {
    this.clearTimer(pending);
    pending.detach();
    pending.detach = () => {};
    try {
      pending.channel.destroy();
    } catch {
      // A channel that refuses a second destroy() is already gone.
    }
  }

  private clearTimer(pending: Pending<Route>): void {
    if (pending.timer !== undefined) this.options.clock.clearTimeout(pending.timer);
    pending.timer = undefined;
  }

  /** Random bytes, with a counter in the last four so that a poor random source cannot repeat an id. */
  private newOfferId(): string {
    const bytes = new Uint8Array(20);
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(this.options.random() * 256) & 0xff;
    this.offerCount = (this.offerCount + 1) >>> 0;
    new DataView(bytes.buffer).setUint32(16, this.offerCount);
    return bytesToBinary(bytes);
  }
}

/** Adds listeners to a channel and returns the function that removes exactly those. */
function listen(channel: PeerChannel, handlers: Partial<PeerChannelEvents>): () => void {
  const entries = Object.entries(handlers) as [keyof PeerChannelEvents, PeerChannelEvents[keyof PeerChannelEvents]][];
  for (const [event, handler] of entries) channel.on(event, handler);
  return () => {
    for (const [event, handler] of entries) channel.off(event, handler);
  };
}
