import { readFile } from 'node:fs/promises';
import type { SwarmSegments } from '../../../player/src/engine/swarm.ts';

const CACHE_BYTES = 32 * 1024 * 1024;

/**
 * One rendition's segments as files on disk, read when a peer asks (not all held in memory), with a small cache
 * shared by every rendition so a segment many viewers want at once is read once.
 */
export class DiskSegments implements SwarmSegments {
  private readonly files: Map<number, string>;
  private readonly cache: SegmentCache;

  constructor(files: Map<number, string>, cache: SegmentCache) {
    this.files = files;
    this.cache = cache;
  }

  held(): number[] {
    return [...this.files.keys()];
  }

  segment(sn: number): Promise<Uint8Array | undefined> | undefined {
    const file = this.files.get(sn);
    return file === undefined ? undefined : this.cache.read(file);
  }

  watch(): () => void {
    // A packaged title does not change while it is served (repackaging makes a new swarm id).
    return () => {};
  }
}

/** Recently read files, least recently used out first, within a byte budget. */
export class SegmentCache {
  private readonly entries = new Map<string, Promise<Uint8Array | undefined>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes = CACHE_BYTES) {
    this.maxBytes = maxBytes;
  }

  read(file: string): Promise<Uint8Array | undefined> {
    const hit = this.entries.get(file);
    if (hit) {
      this.entries.delete(file);
      this.entries.set(file, hit);
      return hit;
    }
    const pending = readFile(file).then(
      (buffer) => {
        const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        this.sizes.set(file, bytes.byteLength);
        this.bytes += bytes.byteLength;
        this.trim();
        return bytes;
      },
      () => {
        this.entries.delete(file);
        return undefined;
      },
    );
    this.entries.set(file, pending);
    return pending;
  }

  private trim(): void {
    for (const file of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) return;
      const size = this.sizes.get(file);
      if (size === undefined) continue;
      this.entries.delete(file);
      this.sizes.delete(file);
      this.bytes -= size;
    }
  }
}
