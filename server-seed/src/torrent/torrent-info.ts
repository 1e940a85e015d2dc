import { createHash } from 'node:crypto';
import bencode from 'bencode';
import type { FileHashes } from './file-hash.ts';

/** A single-file torrent's info dictionary, bencoded, and the info hash (hex) that names it. */
export interface TorrentInfo {
  /** The file's name inside the torrent (its basename). */
  name: string;
  size: number;
  pieceLength: number;
  /** Bencoded info dictionary: the bytes the info hash is taken of. */
  info: Buffer;
  infoHash: string;
}

/** What a .torrent says beside the info dictionary, which depends on how the request reached the server. */
export interface TorrentLocation {
  /** WebSocket tracker URL (ws:// or wss://); none when the server runs no tracker. */
  tracker?: string;
  /** Absolute URL of the file itself: the web seed (BEP 19); none for the seeder's own copy. */
  fileUrl?: string;
}

export function torrentInfo(name: string, hashes: FileHashes): TorrentInfo {
  const info = Buffer.from(
    bencode.encode({ length: hashes.size, name: Buffer.from(name, 'utf8'), 'piece length': hashes.pieceLength, pieces: hashes.pieces }),
  );
  return { name, size: hashes.size, pieceLength: hashes.pieceLength, info, infoHash: createHash('sha1').update(info).digest('hex') };
}

/**
 * A .torrent file: the info dictionary exactly as hashed, with this request's tracker and web seed. Written by
 * hand around the info bytes (keys in bencode order) so the info hash cannot drift through a decode and re-encode.
 */
export function torrentFile(torrent: TorrentInfo, where: TorrentLocation): Buffer {
  const outer = (value: unknown): Buffer => Buffer.from(bencode.encode(value)).subarray(1, -1);
  return Buffer.concat([
    Buffer.from('d'),
    where.tracker ? outer({ announce: where.tracker, 'announce-list': [[where.tracker]] }) : Buffer.alloc(0),
    Buffer.from('4:info'),
    torrent.info,
    where.fileUrl ? outer({ 'url-list': [where.fileUrl] }) : Buffer.alloc(0),
    Buffer.from('e'),
  ]);
}

/** magnet:?xt=urn:btih:HEX&dn=NAME&tr=TRACKER&ws=FILE_URL&xs=TORRENT_URL, every component URL-encoded. */
export function magnetUri(torrent: TorrentInfo, where: TorrentLocation & { fileUrl: string; torrentUrl: string }): string {
  const e = encodeURIComponent;
  const tracker = where.tracker ? `&tr=${e(where.tracker)}` : '';
  return `magnet:?xt=urn:btih:${torrent.infoHash}&dn=${e(torrent.name)}${tracker}&ws=${e(where.fileUrl)}&xs=${e(where.torrentUrl)}`;
}
