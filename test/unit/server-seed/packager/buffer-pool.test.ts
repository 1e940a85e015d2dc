import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../../server-seed/src/packager/buffer-pool.ts';

describe('BufferPool', () => {
  it('hands out a buffer of the size asked for, and the same memory again once it is given back', () => {
    const pool = new BufferPool(2);
    const first = pool.acquire(1000);
    expect(first.byteLength).toBe(1000);
    pool.release(first);
    const second = pool.acquire(900);
    expect(second.byteLength).toBe(900);
    expect(second.buffer).toBe(first.buffer);
  });

  it('never hands out memory still in use', () => {
    const pool = new BufferPool(4);
    const first = pool.acquire(10);
    const second = pool.acquire(10);
    expect(second.buffer).not.toBe(first.buffer);
  });

  it('allocates when nothing given back is large enough', () => {
    const pool = new BufferPool(2);
    const small = pool.acquire(10);
    pool.release(small);
    const large = pool.acquire(small.buffer.byteLength + 1);
    expect(large.buffer).not.toBe(small.buffer);
    // The small one is still there for a small read.
    expect(pool.acquire(10).buffer).toBe(small.buffer);
  });

  it('keeps at most `kept` buffers, letting the smallest go', () => {
    const pool = new BufferPool(2);
    const sizes = [1, 3, 2].map((mib) => pool.acquire(mib << 20));
    for (const buffer of sizes) pool.release(buffer);
    const [one, three, two] = sizes;
    expect(pool.acquire(1).buffer).toBe(two.buffer);
    expect(pool.acquire(1).buffer).toBe(three.buffer);
    expect(pool.acquire(1).buffer).not.toBe(one.buffer);
  });
});
