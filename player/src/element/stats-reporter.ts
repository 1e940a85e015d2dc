import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { emptyStats, type P2PStats } from '../engine/stats.ts';
import { P2PEvents } from './constants.ts';
import { TrafficHistory, type TrafficSample } from './traffic-history.ts';

const INTERVAL_MS = 1000;

/**
 * Keeps the element's stats and fires `p2pstats` at most once a second while they change; keeps the bytes of the
 * last few minutes per second too, for the overlay's chart.
 */
export class StatsReporter implements ReactiveController {
  private current: P2PStats = emptyStats();
  private readonly traffic = new TrafficHistory();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;
  private readonly host: ReactiveControllerHost & EventTarget;

  constructor(host: ReactiveControllerHost & EventTarget) {
    this.host = host;
    host.addController(this);
  }

  /** A fresh copy, so callers can keep it without seeing it change. */
  get stats(): P2PStats {
    return { ...this.current };
  }

  /** Segment bytes per second by source, over the last minutes of the current source. */
  get history(): TrafficSample[] {
    return this.traffic.samples();
  }

  reset(): void {
    this.current = emptyStats();
    this.traffic.clear();
    this.changed();
  }

  /** Takes the engine's counters as they are now. */
  replace(stats: P2PStats): void {
    this.traffic.record(stats.httpBytes - this.current.httpBytes, stats.p2pBytes - this.current.p2pBytes);
    this.current = { ...stats };
    this.changed();
  }

  /** HTTP bytes counted without an engine (p2p="off"): media segments and init segments. */
  httpBytes(bytes: number, mediaSegment: boolean): void {
    this.current.httpBytes += bytes;
    this.traffic.record(bytes, 0);
    if (mediaSegment) this.current.segmentsFromHttp += 1;
    this.changed();
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
  }

  private changed(): void {
    if (this.timer !== undefined) {
      this.dirty = true;
      return;
    }
    this.emit();
  }

  private emit(): void {
    this.dirty = false;
    this.host.dispatchEvent(new CustomEvent(P2PEvents.STATS, { detail: this.stats }));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.emit();
    }, INTERVAL_MS);
  }
}
