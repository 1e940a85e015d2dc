import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from 'm3u8-parser';
import { parseM3u8 } from '../playlist.ts';
import { swarmInfoHash } from '../swarm-metadata.ts';
import { parseSwarmMetadata, SWARM_DATA_ID } from '../../../player/src/element/swarm-metadata.ts';
import { HashManifestError, manifestKey, parseHashManifest, type HashManifest } from '../../../player/src/engine/hash-manifest.ts';
import type { SwarmSegments } from '../../../player/src/engine/swarm.ts';

/** One rendition of a stream hosted elsewhere, as its viewers name it and as the mirror fetches it. */
export interface MirrorRendition {
  /** The media playlist's path relative to the multivariant playlist: the rendition's name in the swarm. */
  key: string;
  /** SHA-1 of the swarm id and the key, hex: the swarm viewers of this rendition announce. */
  infoHash: string;
  /** Media sequence number → where the segment is and the SHA-256 it must have. */
  segments: Map<number, RemoteSegment>;
}

export interface RemoteSegment {
  url: string;
  /** Byte range within `url`, for playlists with EXT-X-BYTERANGE. */
  range?: { offset: number; length: number };
  sha256: string;
}

export interface MirrorStream {
  url: string;
  swarmId: string;
  /** The trackers that origin's viewers announce to (ws: or wss:). */
  trackers: string[];
  renditions: MirrorRendition[];
}

/** A stream that cannot be mirrored, with the reason in words. */
export class MirrorError extends Error {
  override name = 'MirrorError';
}

const TEXT_LIMIT = 16 * 1024 * 1024;
const SEGMENT_LIMIT = 256 * 1024 * 1024;
const TIMEOUT_MS = 20_000;

/** What a mirror reads first of a stream on another origin: its swarm, its hash manifest and its media playlists. */
export interface StreamHead {
  url: string;
  swarmId: string;
  /** The trackers that origin's viewers announce to (ws: or wss:). */
  trackers: string[];
  /** Where the swarm metadata is (absolute). */
  swarmUrl: string;
  /** Where the hash manifest is (absolute), and what it said when read. */
  hashesUrl: string;
  hashes: HashManifest;
  renditions: { key: string; url: string; playlist: Manifest }[];
  /** Whether a media playlist has no EXT-X-ENDLIST: a live stream, which grows and slides. */
  live: boolean;
}

/**
 * Reads a stream on another origin as a mirror needs it: its swarm metadata (swarm id, trackers), its hash
 * manifest, and the media playlist of every rendition. A stream without a hash manifest is refused: a mirror
 * serves only bytes it can prove are the origin's.
 */
export async function loadStreamHead(masterUrl: string): Promise<StreamHead> {
  let url: URL;
  try {
    url = new URL(masterUrl);
  } catch {
    throw new MirrorError(`${masterUrl} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MirrorError(`${masterUrl} is not an http(s) URL`);
  const masterText = await fetchText(url.href, 'playlist');
  const master = parseM3u8(masterText);
  if (!master.playlists?.length) throw new MirrorError(`${url.href} is not a multivariant playlist (give the one viewers play)`);

  const swarmUrl = new URL(sessionDataUri(masterText) ?? 'swarm.json', url).href;
  const metadata = await loadSwarmMetadata(swarmUrl);
  if (!metadata.hashes) throw new MirrorError(`${url.href} publishes no hash manifest: a mirror cannot check what it would serve`);
  const hashes = await loadHashManifest(metadata.hashes);

  const audio = Object.values(master.mediaGroups?.AUDIO ?? {}).flatMap((group) => Object.values(group));
  const uris = new Set([...master.playlists.map((p) => p.uri), ...audio.map((a) => a.uri).filter((u): u is string => !!u)]);
  const base = stripQuery(url.href);
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  const renditions: StreamHead['renditions'] = [];
  for (const uri of uris) {
    const mediaUrl = new URL(uri, url).href;
    const playlist = parseM3u8(await fetchText(mediaUrl, 'playlist'));
    const level = stripQuery(mediaUrl);
    renditions.push({ key: level.startsWith(dir) ? level.slice(dir.length) : level, url: mediaUrl, playlist });
  }
  const live = renditions.some((r) => !r.playlist.endList);
  return { url: url.href, swarmId: metadata.swarmId, trackers: metadata.trackers, swarmUrl, hashesUrl: metadata.hashes, hashes, renditions, live };
}

/** The swarm metadata of a stream to mirror: it must name a swarm id and a WebSocket tracker. */
export async function loadSwarmMetadata(swarmUrl: string): Promise<{ swarmId: string; trackers: string[]; hashes?: string }> {
  let metadata;
  try {
    metadata = parseSwarmMetadata(JSON.parse(await fetchText(swarmUrl, 'swarm metadata')) as unknown, swarmUrl);
  } catch (error) {
    throw new MirrorError(`swarm metadata ${swarmUrl}: ${(error as Error).message}`);
  }
  if (!metadata.swarmId) throw new MirrorError(`swarm metadata ${swarmUrl} names no swarmId`);
  if (!metadata.trackers?.length) throw new MirrorError(`swarm metadata ${swarmUrl} names no WebSocket tracker`);
  return { swarmId: metadata.swarmId, trackers: metadata.trackers, hashes: metadata.hashes };
}

export async function loadHashManifest(hashesUrl: string): Promise<HashManifest> {
  try {
    return parseHashManifest(JSON.parse(await fetchText(hashesUrl, 'hash manifest')) as unknown, hashesUrl);
  } catch (error) {
    if (error instanceof MirrorError) throw error;
    throw new MirrorError(error instanceof HashManifestError ? error.message : `hash manifest ${hashesUrl} is not JSON`);
  }
}

/** The segments of a media playlist, numbered, with their absolute URLs and byte ranges. */
export function playlistSegments(playlist: Manifest, playlistUrl: string): { sn: number; uri: string; url: string; range?: RemoteSegment['range'] }[] {
  const first = playlist.mediaSequence ?? 0;
  let nextOffset = 0;
  return (playlist.segments ?? []).map((segment, i) => {
    let range: RemoteSegment['range'];
    if (segment.byterange) {
      const offset = segment.byterange.offset ?? nextOffset;
      range = { offset, length: segment.byterange.length };
      nextOffset = offset + segment.byterange.length;
    }
    return { sn: first + i, uri: segment.uri, url: new URL(segment.uri, playlistUrl).href, range };
  });
}

/** A stream on another origin as an on-demand mirror seeds it: every segment its hash manifest covers. */
export function mirrorStream(head: StreamHead): MirrorStream {
  const renditions = head.renditions.map(({ key, url, playlist }) => {
    const segments = new Map<number, RemoteSegment>();
    for (const { sn, url: segmentUrl, range } of playlistSegments(playlist, url)) {
      const sha256 = head.hashes.get(manifestKey(segmentUrl, range));
      // A segment the manifest does not cover is left to the origin: viewers fetch it over HTTP.
      if (sha256) segments.set(sn, { url: segmentUrl, range, sha256 });
    }
    return { key, infoHash: swarmInfoHash(head.swarmId, key), segments };
  });
  if (renditions.every((r) => r.segments.size === 0)) {
    throw new MirrorError(`the hash manifest ${head.hashesUrl} covers none of the segments of ${head.url}`);
  }
  return { url: head.url, swarmId: head.swarmId, trackers: head.trackers, renditions };
}

/** Reads what an on-demand mirror needs of a stream on another origin (see loadStreamHead and mirrorStream). */
export async function loadMirrorStream(masterUrl: string): Promise<MirrorStream> {
  return mirrorStream(await loadStreamHead(masterUrl));
}


/**
 * Segments of mirrored streams on disk, named by their SHA-256 (so a restart finds them, and a segment two
 * streams share is kept once), within a byte budget: least recently used out first. Each segment is fetched from
 * its origin at most once at a time, and written only after its hash matched.
 */
export class MirrorCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly log: (line: string) => void;
  /** sha256 → size, least recently used first. */
  private readonly entries = new Map<string, number>();
  private readonly fetching = new Map<string, Promise<string | undefined>>();
  private bytes = 0;
  private loaded: Promise<void> | undefined;
  fetchedBytes = 0;
  rejected = 0;

  constructor(dir: string, maxBytes: number, logger: (line: string) => void = () => {}) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.log = logger;
  }

  get size(): number {
    return this.bytes;
  }

  /** The file holding `segment`, fetching it from its origin first if the cache lacks it; undefined on failure. */
  async file(segment: RemoteSegment): Promise<string | undefined> {
    await (this.loaded ??= this.scan());
    const { sha256 } = segment;
    const size = this.entries.get(sha256);
    if (size !== undefined) {
      this.entries.delete(sha256);
      this.entries.set(sha256, size);
      return this.pathOf(sha256);
    }
    let pending = this.fetching.get(sha256);
    if (!pending) {
      pending = this.fetch(segment).finally(() => this.fetching.delete(sha256));
      this.fetching.set(sha256, pending);
    }
    return pending;
  }

  private async fetch(segment: RemoteSegment): Promise<string | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(segment);
    } catch (error) {
      this.log(`p2p-seed: mirror: cannot fetch ${segment.url}: ${(error as Error).message}`);
      return undefined;
    }
    this.fetchedBytes += bytes.byteLength;
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== segment.sha256) {
      this.rejected += 1;
      this.log(`p2p-seed: mirror: ${segment.url} does not match its published hash; not served`);
      return undefined;
    }
    const file = this.pathOf(digest);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      this.log(`p2p-seed: mirror: cannot write to the cache ${this.dir}: ${(error as Error).message}`);
      return undefined;
    }
    this.entries.set(digest, bytes.byteLength);
    this.bytes += bytes.byteLength;
    await this.trim(digest);
    return file;
  }

  // Oldest first out, never the segment just added (a segment larger than the whole budget is still served once).
  private async trim(keep: string): Promise<void> {
    for (const [sha256, size] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (sha256 === keep) continue;
      this.entries.delete(sha256);
      this.bytes -= size;
      await rm(this.pathOf(sha256), { force: true });
    }
  }

  // What an earlier run left, oldest first; temp files of a crashed write are removed.
  private async scan(): Promise<void> {
    const found: { sha256: string; size: number; mtime: number }[] = [];
    await mkdir(this.dir, { recursive: true });
    for (const prefix of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await readdir(path.join(this.dir, prefix)).catch(() => [] as string[])) {
        const file = path.join(this.dir, prefix, name);
        if (!/^[0-9a-f]{64}$/.test(name)) {
          if (name.endsWith('.tmp')) await rm(file, { force: true });
          continue;
        }
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile()) found.push({ sha256: name, size: info.size, mtime: info.mtimeMs });
      }
    }
    for (const { sha256, size } of found.sort((a, b) => a.mtime - b.mtime)) {
      this.entries.set(sha256, size);
      this.bytes += size;
    }
    if (found.length > 0) this.log(`p2p-seed: mirror: ${found.length} segment(s) already in the cache ${this.dir}`);
    await this.trim('');
  }

  private pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }
}

/** One mirrored rendition as the seeder's swarm sees it: every segment the manifest covers, read through the cache. */
export class MirrorSegments implements SwarmSegments {
  private readonly rendition: MirrorRendition;
  private readonly cache: MirrorCache;

  constructor(rendition: MirrorRendition, cache: MirrorCache) {
    this.rendition = rendition;
    this.cache = cache;
  }

  held(): number[] {
    return [...this.rendition.segments.keys()];
  }

  async segment(sn: number): Promise<Uint8Array | undefined> {
    const remote = this.rendition.segments.get(sn);
    const file = remote && (await this.cache.file(remote));
    if (!file) return undefined;
    try {
      const buffer = await readFile(file);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch {
      return undefined;
    }
  }

  watch(): () => void {
    return () => {};
  }
}

/** The URI of the stream's swarm metadata from its EXT-X-SESSION-DATA line, if it has one. */
export function sessionDataUri(playlist: string): string | undefined {
  for (const line of playlist.split(/\r?\n/)) {
    if (!line.startsWith('#EXT-X-SESSION-DATA:')) continue;
    const id = /DATA-ID="([^"]*)"/.exec(line)?.[1];
    const uri = /URI="([^"]*)"/.exec(line)?.[1];
    if (id === SWARM_DATA_ID && uri) return uri;
  }
  return undefined;
}

function stripQuery(url: string): string {
  return url.split(/[?#]/, 1)[0];
}


export async function fetchText(url: string, what: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((error: unknown) => {
    throw new MirrorError(`cannot fetch the ${what} ${url}: ${(error as Error).message}`);
  });
  if (!response.ok) throw new MirrorError(`the ${what} ${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length'));
  if (length > TEXT_LIMIT) throw new MirrorError(`the ${what} ${url} is too large (${length} bytes)`);
  const text = await response.text();
  if (text.length > TEXT_LIMIT) throw new MirrorError(`the ${what} ${url} is too large`);
  return text;
}

export async function fetchBytes(segment: RemoteSegment): Promise<Uint8Array> {
  const headers: Record<string, string> = {};
  if (segment.range) headers.range = `bytes=${segment.range.offset}-${segment.range.offset + segment.range.length - 1}`;
  const response = await fetch(segment.url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (segment.range ? response.status !== 206 : !response.ok) throw new Error(`HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length'));
  if (length > SEGMENT_LIMIT) throw new Error(`too large (${length} bytes)`);
  // Read within the limit even when the origin sends no length.
  const parts: Uint8Array[] = [];
  let total = 0;
  if (!response.body) return new Uint8Array(0);
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += part.byteLength;
    if (total > SEGMENT_LIMIT) throw new Error(`too large (over ${SEGMENT_LIMIT} bytes)`);
    parts.push(part);
  }
  const whole = Buffer.concat(parts, total);
  return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
}
