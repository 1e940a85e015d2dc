import { parseHashManifest, type HashManifest } from '../engine/hash-manifest.ts';

/** The stream's swarm metadata (`swarm.json`, DESIGN.md), with every URL resolved. */
export interface SwarmMetadata {
  swarmId?: string;
  trackers?: string[];
  iceServers?: RTCIceServer[];
  hashes?: string;
  beacon?: string;
}

export const SWARM_DATA_ID = 'org.p2p-video.swarm';
const TIMEOUT_MS = 5000;
const MAX_BYTES = 64 * 1024;
// A manifest line is ~100 bytes: room for ~80,000 segments (a day of 1 s segments in several renditions).
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/**
 * Fetches and parses the stream's hash manifest; throws an Error with a readable message when it is unusable.
 * `fresh` (a live stream's refresh) bypasses every cache: the manifest grows with the playlist.
 */
export async function fetchHashManifest(url: string, signal?: AbortSignal, options: { fresh?: boolean } = {}): Promise<HashManifest> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS * 2);
  const response = await fetch(url, {
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    credentials: 'omit',
    ...(options.fresh ? { cache: 'no-store' as const } : {}),
  });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_MANIFEST_BYTES) throw new Error(`${url} is too large`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url} is not JSON`);
  }
  return parseHashManifest(json, url);
}

/** The swarm.json URL a multivariant playlist links to (its session data), if any. */
export function swarmMetadataUrl(data: { url: string; sessionData?: Record<string, object> | null }): string | undefined {
  const uri = (data.sessionData?.[SWARM_DATA_ID] as { URI?: unknown } | undefined)?.URI;
  if (typeof uri !== 'string' || uri === '') return undefined;
  try {
    return new URL(uri, data.url).href;
  } catch {
    return undefined;
  }
}

/** Fetches and checks swarm.json; throws an Error with a readable message when it is missing or malformed. */
export async function fetchSwarmMetadata(url: string, signal?: AbortSignal): Promise<SwarmMetadata> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, credentials: 'omit' });
  if (!response.ok) throw new Error(`swarm metadata ${url} answered HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new Error(`swarm metadata ${url} is too large`);
  return parseSwarmMetadata(JSON.parse(text) as unknown, url);
}

export function parseSwarmMetadata(json: unknown, baseUrl: string): SwarmMetadata {
  if (!json || typeof json !== 'object') throw new Error('swarm metadata is not a JSON object');
  const doc = json as Record<string, unknown>;
  if (doc.version !== 1) throw new Error(`swarm metadata version ${String(doc.version)} is not supported`);
  const out: SwarmMetadata = {};
  if (typeof doc.swarmId === 'string' && doc.swarmId) out.swarmId = doc.swarmId;
  if (Array.isArray(doc.trackers)) {
    out.trackers = doc.trackers.filter((t): t is string => typeof t === 'string').flatMap((t) => resolveTracker(t, baseUrl));
  }
  if (Array.isArray(doc.iceServers)) {
    out.iceServers = doc.iceServers.filter(
      (s): s is RTCIceServer => !!s && typeof s === 'object' && (typeof s.urls === 'string' || Array.isArray(s.urls)),
    );
  }
  if (typeof doc.hashes === 'string') out.hashes = new URL(doc.hashes, baseUrl).href;
  if (typeof doc.beacon === 'string') out.beacon = new URL(doc.beacon, baseUrl).href;
  return out;
}

/** Tracker URLs may be relative to swarm.json or given as http(s); WebSocket trackers need ws(s). */
export function resolveTracker(value: string, baseUrl: string): string[] {
  try {
    const url = new URL(value, baseUrl);
    if (url.protocol === 'http:') url.protocol = 'ws:';
    else if (url.protocol === 'https:') url.protocol = 'wss:';
    return url.protocol === 'ws:' || url.protocol === 'wss:' ? [url.href] : [];
  } catch {
    return [];
  }
}

/** `ice-servers="stun:a turn:b"` as RTCIceServer objects; present and empty means none. */
export function parseIceServers(value: string): RTCIceServer[] {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((urls) => ({ urls }));
}
