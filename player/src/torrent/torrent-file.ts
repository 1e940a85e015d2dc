import bencode from 'bencode';

/**
 * What the player reads of a single-file .torrent itself, before WebTorrent has loaded: enough to check the file's
 * first pieces as they arrive from the origin (BEP 3: `info` holds `length`, `piece length` and `pieces`, the SHA-1
 * of every piece, 20 bytes each; the info hash is the SHA-1 of the bencoded `info` dictionary).
 */
export interface TorrentPieces {
  infoHash: string;
  /** The file's size in bytes. */
  length: number;
  pieceLength: number;
  /** SHA-1 of piece `index` as lowercase hex. */
  hash(index: number): string | undefined;
}

/** A .torrent's pieces, or undefined for anything else (malformed, several files, a piece list that does not fit). */
export async function readTorrentPieces(bytes: Uint8Array): Promise<TorrentPieces | undefined> {
  let info: Record<string, unknown>;
  try {
    const top = bencode.decode(bytes) as Record<string, unknown>;
    info = top.info as Record<string, unknown>;
    if (!info || typeof info !== 'object' || info instanceof Uint8Array || Array.isArray(info)) return undefined;
  } catch {
    return undefined;
  }
  const { length, 'piece length': pieceLength, pieces } = info;
  if (typeof length !== 'number' || typeof pieceLength !== 'number' || !(pieces instanceof Uint8Array)) return undefined;
  if (length <= 0 || pieceLength <= 0 || pieces.length !== 20 * Math.ceil(length / pieceLength)) return undefined;
  // Dictionaries are encoded with sorted keys: a well-formed .torrent's info encodes back to its own bytes.
  const infoHash = await sha1Hex(new Uint8Array(bencode.encode(info)));
  return {
    infoHash,
    length,
    pieceLength,
    hash: (index) => (Number.isInteger(index) && index >= 0 && index * 20 < pieces.length ? hex(pieces.subarray(index * 20, index * 20 + 20)) : undefined),
  };
}

/** SHA-1 of `bytes`, lowercase hex. */
export async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes)));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
