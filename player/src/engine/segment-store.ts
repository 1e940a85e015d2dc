import { Emitter } from './emitter.ts';

/** A segment's place in the stream: its swarm (one per rendition) and its media sequence number. */
export interface SegmentKey {
  swarm: string;
  sn: number;
}

export interface StoredSegment extends SegmentKey {
  bytes: Uint8Array;
  /** Start of the segment on the stream's timeline, seconds. */
  start: number;
  duration: number;
}

export interface SegmentStoreEvents {
  added: (segment: StoredSegment) => void;
  removed: (key: SegmentKey) => void;
}

export interface SegmentStoreOptions {
  /** Bytes the store may hold; default 200 MB. */
  maxBytes?: number;
  /**
   * Where the viewer is (seconds on the stream's timeline); the store keeps what is near it. Segments behind the
   * playhead are cheaper to lose than those just ahead, which the viewer will need.
   */
  playhead: () => number;
}

const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;
// Seconds behind the playhead count this much more than seconds ahead when choosing what to evict.
const BEHIND_WEIGHT = 2;

/** Verified segments held in memory, for playback and for uploading to peers, within a memory cap. */
export class SegmentStore extends Emitter<SegmentStoreEvents> {
  private readonly segments = new Map<string, StoredSegment>();
  private readonly maxBytes: number;
  private readonly playhead: () => number;
  private bytes = 0;

  constructor(options: SegmentStoreOptions) {
    super();
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.playhead = options.playhead;
  }

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.segments.size;
  }

  has(key: SegmentKey): boolean {
    return this.segments.has(id(key));
  }

  get(key: SegmentKey): StoredSegment | undefined {
    return this.segments.get(id(key));
  }

  /** Sequence numbers held for one swarm. */
  held(swarm: string): number[] {
    const out: number[] = [];
    for (const segment of this.segments.values()) if (segment.swarm === swarm) out.push(segment.sn);
    return out;
  }

  /** Stores a segment (replacing an older copy) and evicts what is furthest from the playhead to stay in the cap. */
  put(segment: StoredSegment): boolean {
    if (segment.bytes.byteLength > this.maxBytes) return false;
    const key = id(segment);
    const old = this.segments.get(key);
    if (old) this.bytes -= old.bytes.byteLength;
    this.segments.set(key, segment);
    this.bytes += segment.bytes.byteLength;
    this.evict();
    if (!this.segments.has(key)) return false;
    if (!old) this.emit('added', segment);
    return true;
  }

  delete(key: SegmentKey): void {
    const segment = this.segments.get(id(key));
    if (!segment) return;
    this.segments.delete(id(key));
    this.bytes -= segment.bytes.byteLength;
    this.emit('removed', { swarm: segment.swarm, sn: segment.sn });
  }

  clear(): void {
    for (const segment of [...this.segments.values()]) this.delete(segment);
  }

  destroy(): void {
    this.segments.clear();
    this.bytes = 0;
    this.removeAllListeners();
  }

  private evict(): void {
    if (this.bytes <= this.maxBytes) return;
    const now = this.playhead();
    const ranked = [...this.segments.values()]
      .map((s) => ({ s, distance: distance(s, now) }))
      .sort((a, b) => b.distance - a.distance);
    for (const { s } of ranked) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(s);
    }
  }
}

function id(key: SegmentKey): string {
  return `${key.swarm}\u0000${key.sn}`;
}

function distance(segment: StoredSegment, playhead: number): number {
  const end = segment.start + segment.duration;
  if (end <= playhead) return (playhead - end) * BEHIND_WEIGHT;
  return Math.max(0, segment.start - playhead);
}
