import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../../../player/src/engine/rate-meter.ts';

describe('RateMeter', () => {
  it('is zero with nothing added', () => {
    let now = 10_000;
    const meter = new RateMeter(() => now);
    expect(meter.rate).toBe(0);
    now += 3_000;
    expect(meter.rate).toBe(0);
  });

  it('counts a young meter over at least one second, then over its age', () => {
    let now = 10_000;
    const meter = new RateMeter(() => now);
    meter.add(1_000);
    expect(meter.rate).toBe(1_000);
    now += 2_000;
    meter.add(1_000);
    expect(meter.rate).toBe(1_000);
  });

  it('takes the last five seconds once the meter is older, and forgets what went before', () => {
    let now = 0;
    const meter = new RateMeter(() => now);
    for (let s = 0; s < 10; s += 1) {
      meter.add(500);
      now += 1_000;
    }
    // At 10.0 s the window is 6..10 s: buckets 6, 7, 8, 9 hold 500 each, the current second nothing yet.
    expect(meter.rate).toBeCloseTo(2_000 / 4, 5);
    now += 500;
    expect(meter.rate).toBeCloseTo(2_000 / 4.5, 5);
    now += 60_000;
    expect(meter.rate).toBe(0);
    meter.add(3_000);
    expect(meter.rate).toBeCloseTo(3_000 / 4.5, 5);
  });

  it('works on a clock that starts anywhere', () => {
    let now = -2_500;
    const meter = new RateMeter(() => now);
    meter.add(100);
    now += 1_000;
    meter.add(100);
    expect(meter.rate).toBe(200);
  });
});
