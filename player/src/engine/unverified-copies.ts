/** A segment the origin sent before the site published its hash: kept until the hash comes, never shared before. */
export interface UnverifiedCopy<Info> {
  /** The rendition's swarm key. */
  swarm: string;
  sn: number;
  info: Info;
  bytes: Uint8Array;
}

const DEFAULT_MAX_COUNT = 6;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The last few such copies, bounded in count and bytes (oldest dropped first): a live stream's hash manifest trails
 * its playlist by a moment, and a copy whose hash arrives is then stored and offered like any other.
 */
export class UnverifiedCopies<Info> {
  private copies: UnverifiedCopy<Info>[] = [];
  private readonly maxCount: number;
  private readonly maxBytes: number;

  constructor(limits: { maxCount?: number; maxBytes?: number } = {}) {
    this.maxCount = limits.maxCount ?? DEFAULT_MAX_COUNT;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  get count(): number {
    return this.copies.length;
  }

  /** Keeps a copy (replacing one of the same segment), dropping the oldest to stay within the limits. */
  add(copy: UnverifiedCopy<Info>): void {
    if (copy.bytes.byteLength > this.maxBytes) return;
    this.copies = this.copies.filter((c) => c.swarm !== copy.swarm || c.sn !== copy.sn);
    this.copies.push(copy);
    let bytes = this.copies.reduce((sum, c) => sum + c.bytes.byteLength, 0);
    while (this.copies.length > this.maxCount || bytes > this.maxBytes) bytes -= this.copies.shift()!.bytes.byteLength;
  }

  /** The copies now, oldest first (a snapshot: removing from it is safe). */
  list(): readonly UnverifiedCopy<Info>[] {
    return [...this.copies];
  }

  remove(copy: UnverifiedCopy<Info>): void {
    this.copies = this.copies.filter((c) => c !== copy);
  }

  /** Drops every copy `stale` says is of no more use. */
  prune(stale: (copy: UnverifiedCopy<Info>) => boolean): void {
    this.copies = this.copies.filter((c) => !stale(c));
  }

  clear(): void {
    this.copies = [];
  }
}
