/** Seconds the rate is taken over. */
const WINDOW_SECONDS = 5;

/**
 * Bytes per second over the last few seconds, from bytes added as they pass: one counter per second in a small
 * ring, no timers. Cheap enough to sit on every chunk of every peer.
 */
export class RateMeter {
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly buckets = new Float64Array(WINDOW_SECONDS);
  /** The second (now / 1000, floored) the newest bucket counts. */
  private second: number;

  constructor(now: () => number) {
    this.now = now;
    this.startedAt = now();
    this.second = Math.floor(this.startedAt / 1000);
  }

  add(bytes: number): void {
    this.advance();
    this.buckets[slot(this.second)] += bytes;
  }

  /** Bytes per second over the window (or since the meter started, when that is shorter, but at least 1 s). */
  get rate(): number {
    this.advance();
    let sum = 0;
    for (const bytes of this.buckets) sum += bytes;
    const now = this.now();
    const windowStart = (this.second - WINDOW_SECONDS + 1) * 1000;
    const elapsedMs = Math.max(1000, now - Math.max(windowStart, this.startedAt));
    return (sum * 1000) / elapsedMs;
  }

  // Clears the buckets of the seconds that passed since the last call.
  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    const passed = Math.min(second - this.second, WINDOW_SECONDS);
    for (let i = 1; i <= passed; i += 1) this.buckets[slot(this.second + i)] = 0;
    if (second > this.second) this.second = second;
  }
}

function slot(second: number): number {
  return ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
}
