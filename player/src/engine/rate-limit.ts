/**
 * A token bucket: `rate` bytes per second on average, with bursts of up to `burst` bytes. It only answers how
 * long to wait and takes what was sent, so several buckets (one per peer, one shared by all) can gate one send.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;
  private takenBytes = 0;

  /** `rate` in bytes per second (> 0); `burst` defaults to a quarter second of it, at least 64 KiB. */
  constructor(rate: number, options: { burst?: number; now?: () => number } = {}) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`an upload rate must be a positive number of bytes per second, not ${rate}`);
    this.rate = rate;
    this.burst = Math.max(1, options.burst ?? Math.max(64 * 1024, rate / 4));
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  /** Milliseconds until `bytes` may be sent (0: now). A send larger than the burst waits for a full bucket. */
  delay(bytes: number): number {
    this.refill();
    const need = Math.min(bytes, this.burst);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) * 1000) / this.rate);
  }

  /** Records `bytes` as sent; the bucket may go into debt for a send larger than what it held. */
  take(bytes: number): void {
    this.refill();
    this.tokens -= bytes;
    this.takenBytes += bytes;
  }

  /** Every byte recorded as sent, by whoever shares the bucket. */
  get taken(): number {
    return this.takenBytes;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
    this.updatedAt = now;
  }
}

/** The longest wait any of the buckets asks for before `bytes` may be sent. */
export function delayOf(buckets: readonly TokenBucket[], bytes: number): number {
  let wait = 0;
  for (const bucket of buckets) wait = Math.max(wait, bucket.delay(bytes));
  return wait;
}
