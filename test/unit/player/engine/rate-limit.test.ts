import { describe, expect, it } from 'vitest';
import { delayOf, TokenBucket } from '../../../../player/src/engine/rate-limit.ts';

function clocked(rate: number, burst?: number) {
  const clock = { now: 0 };
  const bucket = new TokenBucket(rate, { burst, now: () => clock.now });
  return { clock, bucket };
}

describe('TokenBucket', () => {
  it('lets a full burst through at once, then asks to wait for the rate', () => {
    const { bucket } = clocked(100_000, 50_000);
    expect(bucket.delay(50_000)).toBe(0);
    bucket.take(50_000);
    // 10 kB at 100 kB/s: 100 ms.
    expect(bucket.delay(10_000)).toBe(100);
  });

  it('refills with time, never above the burst', () => {
    const { clock, bucket } = clocked(100_000, 50_000);
    bucket.take(50_000);
    clock.now = 250;
    expect(bucket.delay(25_000)).toBe(0);
    clock.now = 60_000;
    bucket.take(50_000);
    expect(bucket.delay(1)).toBeGreaterThan(0);
  });

  it('over any window sends no more than burst + rate × time', () => {
    const { clock, bucket } = clocked(64_000, 16_384);
    let sent = 0;
    for (clock.now = 0; clock.now <= 10_000; clock.now += 7) {
      while (bucket.delay(16_384) === 0) {
        bucket.take(16_384);
        sent += 16_384;
      }
    }
    expect(sent).toBeLessThanOrEqual(16_384 + 64_000 * 10);
    expect(sent).toBeGreaterThan(64_000 * 9);
  });

  it('a send larger than the burst waits for a full bucket, then goes into debt', () => {
    const { clock, bucket } = clocked(1_000, 100);
    expect(bucket.delay(500)).toBe(0);
    bucket.take(500);
    expect(bucket.delay(100)).toBe(500);
    clock.now = 500;
    expect(bucket.delay(100)).toBe(0);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a rate of %s', (rate) => {
    expect(() => new TokenBucket(rate)).toThrow(RangeError);
  });

  it('delayOf() is the longest wait of several buckets', () => {
    const a = clocked(1_000, 100).bucket;
    const b = clocked(10_000, 100).bucket;
    a.take(100);
    b.take(100);
    expect(delayOf([a, b], 100)).toBe(100);
    expect(delayOf([], 100)).toBe(0);
  });
});
