/**
 * Read buffers handed out again once given back. Fresh memory costs a page fault per 4 KiB the first time it is
 * written, about as much as reading the bytes: a title's worth of segments read into a few recycled buffers does
 * not pay that again for every segment, and leaves the garbage collector nothing to do.
 */
const GRAIN = 1 << 20;

export class BufferPool {
  private readonly free: Uint8Array[] = [];

  /** `kept`: at most this many buffers wait for reuse; beyond that the smallest are let go. */
  constructor(private readonly kept: number) {}

  /** A buffer of `size` bytes, its content undefined; the view of a pooled buffer, or a new one. */
  acquire(size: number): Uint8Array {
    const index = this.free.findIndex((buffer) => buffer.byteLength >= size);
    // Rounded up, so that a buffer fits the next read of about the same size as well.
    const buffer = index < 0 ? new Uint8Array(Buffer.allocUnsafeSlow(Math.ceil(size / GRAIN) * GRAIN).buffer) : this.free.splice(index, 1)[0];
    return buffer.subarray(0, size);
  }

  /** Gives back a buffer from acquire(); nothing may use it afterwards. */
  release(view: Uint8Array): void {
    this.free.push(new Uint8Array(view.buffer));
    this.free.sort((a, b) => a.byteLength - b.byteLength);
    if (this.free.length > this.kept) this.free.shift();
  }
}
