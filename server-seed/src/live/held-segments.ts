import type { SwarmSegments } from '../../../player/src/engine/swarm.ts';

/** A segment of a live window: its bytes are held while the playlist lists it, so peers get exactly what was hashed. */
export interface HeldSegment {
  uri: string;
  bytes: Uint8Array;
  sha256: string;
}

/** Segments kept after they leave the playlist, for viewers a little behind (hls.js plays up to 3 behind the edge). */
const KEEP_BEHIND = 3;

/**
 * The segments of a live window a seeder holds in memory, by media sequence number, as the swarm sees them: each is
 * offered the moment it is added and withdrawn when the playlist has moved on past it. Shared by the streams an
 * encoder writes into a folder and the streams mirrored from another origin.
 */
export class HeldSegments implements SwarmSegments {
  private readonly segments = new Map<number, HeldSegment>();
  private readonly listeners = new Set<{ added(sn: number): void; removed(sn: number): void }>();

  has(sn: number): boolean {
    return this.segments.has(sn);
  }

  get size(): number {
    return this.segments.size;
  }

  add(sn: number, segment: HeldSegment): void {
    this.segments.set(sn, segment);
    for (const listener of this.listeners) listener.added(sn);
  }

  /** Drops what the playlist (now starting at `first`) left more than a few segments ago; `Infinity` drops all. */
  slide(first: number): void {
    for (const sn of [...this.segments.keys()]) {
      if (sn >= first - KEEP_BEHIND) continue;
      this.segments.delete(sn);
      for (const listener of this.listeners) listener.removed(sn);
    }
  }

  /**
   * Whether a playlist listing these segments comes from a source that started again: its numbering went back, or a
   * segment held is listed under another name.
   */
  restarted(listed: readonly { sn: number; uri: string }[]): boolean {
    if (this.segments.size === 0) return false;
    const newest = Math.max(...this.segments.keys());
    if (listed.length > 0 && listed[listed.length - 1]!.sn < newest) return true;
    return listed.some(({ sn, uri }) => this.segments.has(sn) && this.segments.get(sn)!.uri !== uri);
  }

  /** The window's segments by media sequence number, with their digests (for tests and /stats). */
  list(): { sn: number; uri: string; sha256: string; bytes: number }[] {
    return [...this.segments].map(([sn, s]) => ({ sn, uri: s.uri, sha256: s.sha256, bytes: s.bytes.byteLength }));
  }

  /** URI → SHA-256 of every segment held (the sliding hash manifest). */
  digests(): Map<string, string> {
    return new Map([...this.segments.values()].map((s) => [s.uri, s.sha256]));
  }

  clearListeners(): void {
    this.listeners.clear();
  }

  // SwarmSegments: what the seeder offers to the rendition's swarm.
  held(): number[] {
    return [...this.segments.keys()];
  }

  segment(sn: number): Uint8Array | undefined {
    return this.segments.get(sn)?.bytes;
  }

  watch(onAdded: (sn: number) => void, onRemoved: (sn: number) => void): () => void {
    const listener = { added: onAdded, removed: onRemoved };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * A live rendition as the seeder follows it: the segments it holds, the swarm they belong to (which changes when
 * the source starts again) and the rendition's key.
 */
export interface LiveSource extends SwarmSegments {
  /** The media playlist's path relative to the multivariant playlist: the rendition's key. Undefined until known. */
  readonly key: string | undefined;
  /** SHA-1 of the swarm id and the key, hex: the swarm viewers announce. Undefined until known. */
  readonly infoHash: string | undefined;
  /** Called when `infoHash` changes. Returns a function that stops the calls. */
  onSwarm(listener: () => void): () => void;
}

/** What every live source shares: the window it holds, the swarm listeners, the end of the event. */
export abstract class HeldLiveSource implements LiveSource {
  protected readonly segments = new HeldSegments();
  private readonly swarmListeners = new Set<() => void>();
  protected ended = false;

  abstract get key(): string | undefined;
  abstract get infoHash(): string | undefined;

  /** Whether the source wrote EXT-X-ENDLIST: the event is over. */
  get hasEnded(): boolean {
    return this.ended;
  }

  /** The window's segments by media sequence number, with their digests (for tests and /stats). */
  window(): { sn: number; uri: string; sha256: string; bytes: number }[] {
    return this.segments.list();
  }

  /** Called when the swarm (info hash) changes: the playlist first appears, or the source started again. */
  onSwarm(listener: () => void): () => void {
    this.swarmListeners.add(listener);
    return () => this.swarmListeners.delete(listener);
  }

  swarmChanged(): void {
    for (const listener of this.swarmListeners) listener();
  }

  protected dropListeners(): void {
    this.segments.clearListeners();
    this.swarmListeners.clear();
  }

  // SwarmSegments: what the seeder offers to the rendition's swarm.
  held(): number[] {
    return this.segments.held();
  }

  segment(sn: number): Uint8Array | undefined {
    return this.segments.segment(sn);
  }

  watch(onAdded: (sn: number) => void, onRemoved: (sn: number) => void): () => void {
    return this.segments.watch(onAdded, onRemoved);
  }
}
