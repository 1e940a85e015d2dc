/**
 * One tracker URL's WebSocket: opens it, and when it fails or drops, opens it again after a capped exponential
 * backoff with full jitter. An outage (from the first failure until the tracker answers properly again) is
 * reported once, however many retries it takes.
 */

/** The part of the WebSocket API the tracker client uses; browsers' WebSocket and the `ws` package fit it. */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface TrackerSocketEnvironment {
  createWebSocket: (url: string) => WebSocketLike;
  clock: Clock;
  random: () => number;
}

export interface TrackerSocketHandlers {
  /** A new connection is open. */
  open(): void;
  message(data: unknown): void;
  /** An open connection was lost; a retry is scheduled. */
  lost(): void;
  /** The first failure of an outage. */
  outage(reason: string): void;
}

const OPEN = 1;
export const RECONNECT_BASE_MS = 1_000;
export const RECONNECT_CAP_MS = 60_000;
/** Even full jitter waits a little, so a tracker that refuses at once is not hammered. */
export const RECONNECT_MIN_MS = 100;
/** A socket stuck connecting this long counts as a failure. */
export const CONNECT_TIMEOUT_MS = 15_000;

const noop = (): void => {};

export class TrackerSocket {
  private ws: WebSocketLike | undefined;
  private state: 'idle' | 'connecting' | 'open' | 'waiting' = 'idle';
  private timer: unknown;
  private failures = 0;
  private inOutage = false;
  private outageReason: string | undefined;

  constructor(
    readonly url: string,
    private readonly env: TrackerSocketEnvironment,
    private readonly handlers: TrackerSocketHandlers,
  ) {}

  get isOpen(): boolean {
    return this.state === 'open' && this.ws?.readyState === OPEN;
  }

  /** For people to read: open, trying (first attempt or after a drop), or in an outage (retrying, with why). */
  get status(): { status: 'connected' | 'connecting' | 'failed'; error?: string } {
    if (this.isOpen) return { status: 'connected' };
    if (this.inOutage) return { status: 'failed', error: this.outageReason };
    return { status: 'connecting' };
  }

  /** Starts connecting (and reconnecting) until close(). */
  connect(): void {
    if (this.state === 'idle') this.openNow();
  }

  /** False when there is no open connection to send on. */
  send(text: string): boolean {
    if (!this.isOpen || !this.ws) return false;
    try {
      this.ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** The tracker answered properly: the outage is over and the next failure starts from the base delay. */
  healthy(): void {
    this.failures = 0;
    this.inOutage = false;
    this.outageReason = undefined;
  }

  /** Closes the connection and stops retrying; connect() starts again. */
  close(): void {
    this.clearTimer();
    this.detach();
    this.state = 'idle';
  }

  private openNow(): void {
    this.state = 'connecting';
    let ws: WebSocketLike;
    try {
      ws = this.env.createWebSocket(this.url);
    } catch (error) {
      this.fail(`cannot open a WebSocket: ${(error as Error).message}`);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.clearTimer();
      this.state = 'open';
      this.handlers.open();
    };
    ws.onmessage = (event) => {
      if (this.ws === ws && this.state === 'open') this.handlers.message(event.data);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.fail(this.state === 'open' ? 'the connection closed' : 'cannot connect');
    };
    ws.onerror = () => {
      if (this.ws === ws) this.fail(this.state === 'open' ? 'the connection failed' : 'cannot connect');
    };
    this.timer = this.env.clock.setTimeout(() => {
      this.timer = undefined;
      this.fail('timed out connecting');
    }, CONNECT_TIMEOUT_MS);
  }

  private fail(reason: string): void {
    const wasOpen = this.state === 'open';
    this.clearTimer();
    this.detach();
    this.state = 'waiting';
    const delay = this.nextDelay();
    this.failures = Math.min(this.failures + 1, 30);
    this.timer = this.env.clock.setTimeout(() => {
      this.timer = undefined;
      this.openNow();
    }, delay);
    // Handlers run last: they may call close() and must find a consistent state.
    if (wasOpen) this.handlers.lost();
    if (!this.inOutage && this.state === 'waiting') {
      this.inOutage = true;
      this.outageReason = reason;
      this.handlers.outage(reason);
    }
  }

  private nextDelay(): number {
    const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** this.failures);
    return Math.max(RECONNECT_MIN_MS, Math.floor(this.env.random() * ceiling));
  }

  private detach(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = undefined;
    // Handlers become no-ops rather than null: some implementations throw on an 'error' nobody listens to.
    ws.onopen = noop;
    ws.onmessage = noop;
    ws.onclose = noop;
    ws.onerror = noop;
    try {
      ws.close();
    } catch {
      // Already closed or never opened: nothing to release.
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.env.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
