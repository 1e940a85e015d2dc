import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import bencode from 'bencode';
import type { FileHashes } from './file-hash.ts';

/** Bumped when the piece length rule or the file layout changes: older entries are then ignored and pruned. */
const VERSION = 2;
const EXTENSION = '.torrent';

/** Which version of which file a cache entry is of: a file changed in place has a new size or mtime. */
export interface FileVersion {
  /** Relative to the collection, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * Hashes of the collection's progressive files kept on disk (`<DIR>/.p2p-seed/torrents/`), one file per file
 * version, so a restart does not read the whole collection again. Each entry is a valid .torrent (the info
 * dictionary, no tracker) with the file's SHA-256 and version beside it under `p2p-seed`.
 */
export class TorrentCache {
  private readonly dir: string;
  private readonly log: (line: string) => void;
  private warned = false;

  constructor(dir: string, logger: (line: string) => void = () => {}) {
    this.dir = dir;
    this.log = logger;
  }

  static key(version: FileVersion): string {
    return createHash('sha1').update(`${VERSION}\0${version.path}\0${version.size}\0${version.mtimeMs}`).digest('hex');
  }

  /** The cached hashes of exactly this file version, or undefined (missing, unreadable or not this version). */
  async read(version: FileVersion): Promise<FileHashes | undefined> {
    let data: Buffer;
    try {
      data = await readFile(this.fileOf(version));
    } catch {
      return undefined;
    }
    try {
      return parseEntry(data, version);
    } catch {
      return undefined;
    }
  }

  /** Stores hashes, atomically; a collection on a read-only disk is warned about once, and hashed again next time. */
  async write(version: FileVersion, name: string, hashes: FileHashes): Promise<void> {
    const body = bencode.encode({
      info: { length: hashes.size, name: Buffer.from(name, 'utf8'), 'piece length': hashes.pieceLength, pieces: hashes.pieces },
      'p2p-seed': { version: VERSION, path: Buffer.from(version.path, 'utf8'), size: version.size, mtime: String(version.mtimeMs), 'sha-256': hashes.sha256 },
    });
    const file = this.fileOf(version);
    const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(temporary, body);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      if (!this.warned) this.log(`p2p-seed: warning: cannot keep torrent hashes in ${this.dir}: ${(error as Error).message}`);
      this.warned = true;
    }
  }

  /** Removes entries of file versions not in `keep` (files changed or gone), and leftover temporary files. */
  async prune(keep: Iterable<FileVersion>): Promise<void> {
    const wanted = new Set([...keep].map((version) => `${TorrentCache.key(version)}${EXTENSION}`));
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => (name.endsWith(EXTENSION) && !wanted.has(name)) || name.endsWith('.tmp'))
        .map((name) => rm(path.join(this.dir, name), { force: true }).catch(() => {})),
    );
  }

  private fileOf(version: FileVersion): string {
    return path.join(this.dir, `${TorrentCache.key(version)}${EXTENSION}`);
  }
}

function parseEntry(data: Buffer, version: FileVersion): FileHashes | undefined {
  const doc = bencode.decode(data) as Record<string, unknown>;
  const info = doc.info as Record<string, unknown> | undefined;
  const meta = doc['p2p-seed'] as Record<string, unknown> | undefined;
  if (!info || !meta || meta.version !== VERSION) return undefined;
  const same =
    text(meta.path) === version.path && meta.size === version.size && text(meta.mtime) === String(version.mtimeMs) && info.length === version.size;
  const pieceLength = info['piece length'];
  const pieces = info.pieces;
  const sha256 = meta['sha-256'];
  if (!same || typeof pieceLength !== 'number' || !(pieces instanceof Uint8Array) || !(sha256 instanceof Uint8Array)) return undefined;
  if (sha256.length !== 32 || pieces.length !== Math.ceil(version.size / pieceLength) * 20) return undefined;
  return { size: version.size, pieceLength, pieces: Buffer.from(pieces), sha256: Buffer.from(sha256) };
}

function text(value: unknown): string | undefined {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : undefined;
}
