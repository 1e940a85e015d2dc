import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Collection } from './collection.ts';
import { hashManifest } from './packager/hash-manifest.ts';
import { readPlaylist } from './playlist.ts';

export const SWARM_DATA_ID = 'org.p2p-video.swarm';

/** The info hash viewers announce for a rendition: SHA-1 of the swarm id and the rendition's key, hex. */
export function swarmInfoHash(swarmId: string, key: string): string {
  return createHash('sha1').update(`${swarmId}\n${key}`).digest('hex');
}
const SESSION_DATA_LINE = `#EXT-X-SESSION-DATA:DATA-ID="${SWARM_DATA_ID}",URI="swarm.json"`;

/** Where viewers of a stream p2p-seed serves report what they watched (the download counts). */
export const BEACON_PATH = '/beacon';

/**
 * swarm.json for a stream served by p2p-seed: its own tracker and beacon (relative to the file), no ICE servers. The swarm
 * id is fixed here, not left to the playlist URL, so viewers who reach the site by different host names, and the
 * server's own seeder, all meet in one swarm; its random part keeps two sites' "film" apart on a shared tracker.
 */
export function defaultSwarmMetadata(titleId: string): object {
  return { version: 1, swarmId: `${randomBytes(6).toString('hex')}/${titleId}`, trackers: ['/announce'], iceServers: [], beacon: BEACON_PATH };
}

/**
 * Adds `"beacon": "/beacon"` to each swarm.json p2p-seed wrote before it took beacons (it names only our tracker,
 * `["/announce"]`, and no beacon), atomically; a site's own swarm.json is left as it is. Returns the files changed.
 */
export async function addBeaconToOwnMetadata(root: string, collection: Collection, log: (line: string) => void = () => {}): Promise<string[]> {
  const changed: string[] = [];
  for (const title of collection.titles) {
    if (title.type !== 'hls' || title.renditions.length === 0) continue;
    const file = path.join(root, ...title.src.split('/').filter(Boolean).map(decodeURIComponent).slice(0, -1), 'swarm.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (!isOursWithoutBeacon(doc)) continue;
    try {
      // The packager writes indented JSON, the server one line: keep whichever it was.
      const indent = /^\{\s*\n/.test(text) ? 2 : undefined;
      await writeAtomic(file, `${JSON.stringify({ ...doc, beacon: BEACON_PATH }, null, indent)}\n`);
      changed.push(title.src);
    } catch (error) {
      log(`p2p-seed: warning: cannot add the beacon to ${title.src}'s swarm.json: ${(error as Error).message}`);
    }
  }
  if (changed.length > 0) log(`p2p-seed: viewers of ${changed.length} stream(s) now report to ${BEACON_PATH}: ${changed.join(', ')}`);
  return changed;
}

function isOursWithoutBeacon(doc: unknown): doc is Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || 'beacon' in doc) return false;
  const trackers = (doc as { trackers?: unknown }).trackers;
  return Array.isArray(trackers) && trackers.length === 1 && trackers[0] === '/announce';
}

/**
 * Makes every multivariant playlist of the collection point at swarm metadata, so viewers of any stream p2p-seed
 * serves find its tracker: writes swarm.json beside a playlist that has none (with hashes.json, the SHA-256 of
 * every file its media playlists name, since viewers take from peers only what they can check), and adds the
 * session-data line to a playlist that lacks it. All are written atomically (temporary file, then rename). A
 * swarm.json the site wrote itself is left as it is. Returns the playlists changed.
 */
export async function ensureSwarmMetadata(root: string, collection: Collection, log: (line: string) => void = () => {}): Promise<string[]> {
  const changed: string[] = [];
  for (const title of collection.titles) {
    if (title.type !== 'hls' || title.renditions.length === 0) continue;
    const playlist = path.join(root, ...title.src.split('/').filter(Boolean));
    try {
      const text = await readFile(playlist, 'utf8');
      if (text.includes(SWARM_DATA_ID)) continue;
      const metadata = path.join(path.dirname(playlist), 'swarm.json');
      if (!(await exists(metadata))) {
        const hashes = await hashStream(playlist, root);
        await writeAtomic(path.join(path.dirname(playlist), 'hashes.json'), hashManifest(hashes));
        await writeAtomic(metadata, `${JSON.stringify({ ...defaultSwarmMetadata(title.id), hashes: 'hashes.json' })}\n`);
      }
      await writeAtomic(playlist, withSessionData(text));
      changed.push(title.src);
    } catch (error) {
      log(`p2p-seed: warning: cannot add swarm metadata to ${title.src}: ${(error as Error).message}`);
    }
  }
  if (changed.length > 0) log(`p2p-seed: added swarm metadata to ${changed.length} stream(s): ${changed.join(', ')}`);
  return changed;
}

/** The playlist with the session-data line after its header (#EXTM3U and any #EXT-X-VERSION). */
export function withSessionData(text: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let at = lines[0]?.trim() === '#EXTM3U' ? 1 : 0;
  while (at < lines.length && /^#EXT-X-(VERSION|INDEPENDENT-SEGMENTS)/.test(lines[at].trim())) at += 1;
  lines.splice(at, 0, SESSION_DATA_LINE);
  return lines.join(eol);
}

/** SHA-256 of every local file the stream's media playlists name, keyed by its path relative to the playlist. */
async function hashStream(multivariant: string, root: string): Promise<Map<string, string>> {
  const master = await readPlaylist(multivariant, root);
  const dir = path.dirname(multivariant);
  const digests = new Map<string, string>();
  if (master.kind !== 'multivariant') return digests;
  for (const media of master.mediaPlaylists) {
    const playlist = await readPlaylist(media, root);
    if (playlist.kind !== 'media') continue;
    for (const file of playlist.resources) {
      const relative = path.relative(dir, file).split(path.sep).join('/');
      // Beside or below the stream only: the manifest's URLs are relative to it.
      if (relative.startsWith('../') || digests.has(relative)) continue;
      // A file the playlist names but the disk lacks has no hash: viewers fetch it over HTTP (and get the 404).
      const digest = await sha256File(file).catch(() => undefined);
      if (digest) digests.set(relative, digest);
    }
  }
  return digests;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}
