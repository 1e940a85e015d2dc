import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../../player/src/engine/rate-limit.ts';
import { SharedThrottle } from '../../../../server-seed/src/torrent/shared-throttle.ts';

const RATE = 1_000_000;

function setup(): { budget: TokenBucket; throttle: SharedThrottle; rates: number[]; tick(ms: number): void } {
  let now = 0;
  const budget = new TokenBucket(RATE, { now: () => now });
  const rates: number[] = [];
  const throttle = new SharedThrottle(budget, (rate) => rates.push(rate), () => now);
  return { budget, throttle, rates, tick: (ms) => (now += ms) };
}

describe('SharedThrottle', () => {
  it('gives WebTorrent the whole budget while the HLS seeders send nothing', () => {
    const { throttle, rates, tick } = setup();
    expect(rates).toEqual([RATE]);
    throttle.sent(400_000);
    tick(500);
    throttle.update();
    expect(rates.at(-1)).toBe(RATE);
  });

  it('gives it what the others leave: the budget less their rate of the last interval', () => {
    const { budget, throttle, rates, tick } = setup();
    // The HLS seeders sent 300 kB in half a second (600 kB/s), WebTorrent 100 kB.
    budget.take(300_000);
    throttle.sent(100_000);
    tick(500);
    throttle.update();
    expect(rates.at(-1)).toBe(RATE - 600_000);
    // The next interval: they are idle again.
    tick(500);
    throttle.update();
    expect(rates.at(-1)).toBe(RATE);
  });

  it('sets whole bytes per second (WebTorrent refuses fractions)', () => {
    const { budget, throttle, rates, tick } = setup();
    budget.take(100_001);
    tick(300);
    throttle.update();
    expect(rates.at(-1)).toBe(Math.floor(RATE - 100_001 / 0.3));
    expect(rates.every(Number.isInteger)).toBe(true);
  });

  it('never less than a tenth of the budget, however much the others send', () => {
    const { budget, throttle, rates, tick } = setup();
    budget.take(2_000_000);
    tick(500);
    throttle.update();
    expect(rates.at(-1)).toBe(RATE / 10);
  });

  it('what WebTorrent sends is taken from the budget the HLS seeders wait on', () => {
    const { budget, throttle } = setup();
    expect(budget.delay(64 * 1024)).toBe(0);
    throttle.sent(RATE);
    // A second's worth sent (the bucket held a quarter second): an HLS send now waits about three quarters of one.
    expect(budget.delay(64 * 1024)).toBeGreaterThan(750);
  });
});
