/** One second of segment bytes by source, as `el.p2pDetails().history` gives it. */
export interface TrafficSecond {
  httpBytes: number;
  p2pBytes: number;
}

/** Download rate by source over a few seconds, bytes per second. */
export interface RateBar {
  p2p: number;
  http: number;
}

export interface RateSeries {
  bars: RateBar[];
  /** The highest total of any bar (0 when nothing arrived). */
  peak: number;
  /** Seconds the series covers. */
  seconds: number;
}

/**
 * Bytes per second by source in bars of `barSeconds`, oldest first; the newest bar ends with the last second
 * given. Segments arrive whole, so one-second samples are spiky: a bar of a few seconds reads better.
 */
export function rateSeries(history: readonly TrafficSecond[], barSeconds = 3): RateSeries {
  const size = Math.max(1, Math.floor(barSeconds));
  const bars: RateBar[] = [];
  let peak = 0;
  // Grouped from the newest second back, so the last bar is always full-width and current.
  for (let end = history.length; end > 0; end -= size) {
    const start = Math.max(0, end - size);
    let p2p = 0;
    let http = 0;
    for (let i = start; i < end; i += 1) {
      p2p += history[i].p2pBytes;
      http += history[i].httpBytes;
    }
    const bar = { p2p: p2p / size, http: http / size };
    peak = Math.max(peak, bar.p2p + bar.http);
    bars.push(bar);
  }
  bars.reverse();
  return { bars, peak, seconds: history.length };
}
