import { manifestKey, type HashManifest } from './hash-manifest.ts';

/** What a check of one segment's bytes found. */
export type Verdict = 'ok' | 'mismatch' | 'unknown';

export interface VerifiedSegment {
  url: string;
  /** For a byte-range segment: the range, as the manifest names it. */
  range?: { offset: number; length: number };
}

/**
 * Decides whether bytes may be handed to the player and shared: `ok` when they match what the site published,
 * `mismatch` when they do not, `unknown` when the site published nothing for that segment.
 */
export interface SegmentVerifier {
  /** Whether the verifier can check this segment at all (the engine asks peers only for segments it can check). */
  covers(segment: VerifiedSegment): boolean;
  verify(segment: VerifiedSegment, bytes: Uint8Array): Promise<Verdict>;
  /**
   * For a manifest that grows (a live stream): fetches it again and adds what is new. `missing` says a segment's
   * hash is awaited, which may ask sooner than the usual pace. Never rejects.
   */
  refresh?(reason?: RefreshReason): Promise<void>;
  /** Calls back whenever refresh() brought new hashes; returns the function that stops it. */
  watch?(onUpdate: () => void): () => void;
}

/** Why a refresh is asked for: `missing`, a segment's hash is awaited; `playlist`, the live playlist moved. */
export type RefreshReason = 'missing' | 'playlist';

/** For pages that opted out (`p2p="unverified"`) and for tests: every segment passes. */
export const acceptAll: SegmentVerifier = {
  covers: () => true,
  verify: async () => 'ok',
};

/** Checks SHA-256 digests (WebCrypto, off the main thread in browsers) against the site's hash manifest. */
export class HashVerifier implements SegmentVerifier {
  private readonly manifest: HashManifest;

  constructor(manifest: HashManifest) {
    this.manifest = manifest;
  }

  covers(segment: VerifiedSegment): boolean {
    return this.manifest.has(manifestKey(segment.url, segment.range));
  }

  async verify(segment: VerifiedSegment, bytes: Uint8Array): Promise<Verdict> {
    const expected = this.manifest.get(manifestKey(segment.url, segment.range));
    if (!expected) return 'unknown';
    return (await sha256Hex(bytes)) === expected ? 'ok' : 'mismatch';
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw Object.assign(new Error('WebCrypto is unavailable (P2P needs a secure context: https or localhost)'), { code: 'ERR_NO_CRYPTO' });
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * A verifier whose hash manifest is still on its way, so the swarm can be joined while it loads: until it is in,
 * every segment counts as checkable and a check waits for it. If it never comes, nothing from a peer passes.
 */
export class PendingVerifier implements SegmentVerifier {
  private inner: SegmentVerifier | undefined;
  private failed = false;
  private readonly loaded: Promise<SegmentVerifier | undefined>;

  constructor(loading: Promise<SegmentVerifier>) {
    this.loaded = loading.then(
      (verifier) => (this.inner = verifier),
      () => {
        this.failed = true;
        return undefined;
      },
    );
  }

  /** Settles once the manifest is in (true) or has failed (false). */
  get ready(): Promise<boolean> {
    return this.loaded.then((verifier) => verifier !== undefined);
  }

  covers(segment: VerifiedSegment): boolean {
    return this.inner ? this.inner.covers(segment) : !this.failed;
  }

  async verify(segment: VerifiedSegment, bytes: Uint8Array): Promise<Verdict> {
    const verifier = await this.loaded;
    return verifier ? verifier.verify(segment, bytes) : 'unknown';
  }
}
