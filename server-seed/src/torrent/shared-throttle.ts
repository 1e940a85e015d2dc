import type { TokenBucket } from '../../../player/src/engine/rate-limit.ts';

/** How often WebTorrent's throttle is set again. */
export const SHARE_INTERVAL_MS = 500;

/**
 * WebTorrent throttles its upload on its own; within one server's upload budget (`--upload-limit`, shared with the
 * HLS seeders) it gets what the others leave: every half second, the budget's rate less what the others sent in the
 * last interval, at least a tenth of it so a busy HLS seeder never starves the files. What it sends is taken from
 * the budget the HLS seeders wait on, so together they keep to the rate.
 */
export class SharedThrottle {
  private readonly budget: TokenBucket;
  private readonly setRate: (bytesPerSecond: number) => void;
  private readonly now: () => number;
  private own = 0;
  private takenAt: number;
  private since: number;

  constructor(budget: TokenBucket, setRate: (bytesPerSecond: number) => void, now: () => number = () => performance.now()) {
    this.budget = budget;
    this.setRate = setRate;
    this.now = now;
    this.takenAt = budget.taken;
    this.since = now();
    setRate(Math.max(1, Math.floor(budget.rate)));
  }

  /** WebTorrent sent `bytes`. */
  sent(bytes: number): void {
    this.own += bytes;
    this.budget.take(bytes);
  }

  /** Sets WebTorrent's rate from what the others sent since the last call. */
  update(): void {
    const now = this.now();
    const seconds = (now - this.since) / 1000;
    if (seconds <= 0) return;
    const others = Math.max(0, this.budget.taken - this.takenAt - this.own) / seconds;
    // Whole bytes: WebTorrent's throttle refuses anything else.
    this.setRate(Math.max(1, Math.floor(Math.max(this.budget.rate / 10, this.budget.rate - others))));
    this.takenAt = this.budget.taken;
    this.own = 0;
    this.since = now;
  }
}
