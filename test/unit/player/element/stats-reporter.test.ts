import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { P2PStats } from '../../../../player/src/engine/stats.ts';
import { StatsReporter } from '../../../../player/src/element/stats-reporter.ts';

class FakeHost extends EventTarget {
  controllers: unknown[] = [];
  addController(c: unknown): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {}
  get updateComplete(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

describe('StatsReporter', () => {
  let host: FakeHost;
  let reporter: StatsReporter;
  let fired: P2PStats[];

  beforeEach(() => {
    vi.useFakeTimers();
    host = new FakeHost();
    reporter = new StatsReporter(host);
    fired = [];
    host.addEventListener('p2pstats', (e) => fired.push((e as CustomEvent<P2PStats>).detail));
  });
  afterEach(() => vi.useRealTimers());

  it('counts HTTP segments (init segments as bytes only) and hands out copies', () => {
    reporter.httpBytes(1000, true);
    reporter.httpBytes(500, true);
    reporter.httpBytes(70, false);
    const stats = reporter.stats;
    expect(stats).toMatchObject({ httpBytes: 1570, segmentsFromHttp: 2, p2pBytes: 0, peers: 0 });
    stats.httpBytes = 0;
    expect(reporter.stats.httpBytes).toBe(1570);
  });

  it('fires p2pstats at most once a second while stats change, then stops', () => {
    for (let i = 0; i < 10; i += 1) reporter.httpBytes(100, true);
    expect(fired.length).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(fired.length).toBe(2);
    expect(fired[1].httpBytes).toBe(1000);
    vi.advanceTimersByTime(5000);
    expect(fired.length).toBe(2);
  });

  it('keeps the bytes of each second by source, from the growth of the counters', () => {
    const engineStats = (httpBytes: number, p2pBytes: number): P2PStats => ({ ...reporter.stats, httpBytes, p2pBytes });
    reporter.replace(engineStats(1000, 0));
    reporter.replace(engineStats(1000, 4000));
    vi.advanceTimersByTime(2000);
    reporter.replace(engineStats(1500, 6000));
    const history = reporter.history;
    expect(history.at(-1)).toMatchObject({ httpBytes: 500, p2pBytes: 2000 });
    expect(history.at(-3)).toMatchObject({ httpBytes: 1000, p2pBytes: 4000 });
    // A new source starts the history again.
    reporter.reset();
    expect(reporter.history.every((s) => s.httpBytes === 0 && s.p2pBytes === 0)).toBe(true);
  });

  it('reset starts from zero and stops its timer on disconnect', () => {
    reporter.httpBytes(100, true);
    reporter.reset();
    expect(reporter.stats.httpBytes).toBe(0);
    reporter.hostDisconnected();
    vi.advanceTimersByTime(5000);
    expect(fired.length).toBe(1);
  });
});
