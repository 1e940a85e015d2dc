/** Seconds of history kept: what the overlay's chart shows. */
export const HISTORY_SECONDS = 180;

/** Segment bytes that arrived in one second, by source. */
export interface TrafficSample {
  /** Start of the second, ms since the epoch. */
  time: number;
  httpBytes: number;
  p2pBytes: number;
}

/**
 * Segment bytes per second by source over the last few minutes, fed as the counters grow: one slot per second in
 * a ring, no timers, so it costs nothing while nobody looks.
 */
export class TrafficHistory {
  private readonly now: () => number;
  private readonly http = new Float64Array(HISTORY_SECONDS);
  private readonly p2p = new Float64Array(HISTORY_SECONDS);
  private second: number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.second = Math.floor(now() / 1000);
  }

  record(httpBytes: number, p2pBytes: number): void {
    this.advance();
    const i = slot(this.second);
    this.http[i] += Math.max(0, httpBytes);
    this.p2p[i] += Math.max(0, p2pBytes);
  }

  /** Every second of the window, oldest first, ending with the current (partial) one; quiet seconds are zeros. */
  samples(): TrafficSample[] {
    this.advance();
    const out: TrafficSample[] = [];
    for (let s = this.second - HISTORY_SECONDS + 1; s <= this.second; s += 1) {
      const i = slot(s);
      out.push({ time: s * 1000, httpBytes: this.http[i], p2pBytes: this.p2p[i] });
    }
    return out;
  }

  clear(): void {
    this.http.fill(0);
    this.p2p.fill(0);
    this.second = Math.floor(this.now() / 1000);
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    const passed = Math.min(second - this.second, HISTORY_SECONDS);
    for (let k = 1; k <= passed; k += 1) {
      const i = slot(this.second + k);
      this.http[i] = 0;
      this.p2p[i] = 0;
    }
    if (second > this.second) this.second = second;
  }
}

function slot(second: number): number {
  return ((second % HISTORY_SECONDS) + HISTORY_SECONDS) % HISTORY_SECONDS;
}
