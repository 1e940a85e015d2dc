import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileHashes {
  size: number;
  pieceLength: number;
  /** The SHA-1 of every piece, concatenated (the info dictionary's `pieces`). */
  pieces: Buffer;
  /** The SHA-256 of the whole file (Repr-Digest). */
  sha256: Buffer;
}

const KIB = 1024;
const MIN_PIECE = 64 * KIB;
const MAX_PIECE = 1024 * KIB;
/** Pieces a file is cut into at most, below the largest piece length: small enough a list, fine enough a grain. */
const TARGET_PIECES = 2048;
/** Read size: each chunk is hashed in one go on the main thread, so this bounds how long the event loop waits. */
const READ_CHUNK = 256 * KIB;

/**
 * The piece length for a file of `size` bytes: the smallest power of two from 64 KiB to 1 MiB that cuts it into at
 * most 2048 pieces (so 1024 to 2048 pieces from 128 MiB to 2 GiB; more, of 1 MiB, above). A web seed is asked for
 * one whole piece per request, so pieces under 64 KiB made a player's start wait on many small round trips.
 */
export function choosePieceLength(size: number): number {
  let length = MIN_PIECE;
  while (length < MAX_PIECE && Math.ceil(size / length) > TARGET_PIECES) length *= 2;
  return length;
}

/**
 * Reads a file once and hashes it both ways: SHA-1 per piece for the torrent and SHA-256 of the whole. Reads come
 * in 256 KiB chunks hashed one at a time, so requests are served between them (about a millisecond each).
 * Rejects if the file is shorter or longer than `size` by the time it is read (it changed under us).
 */
export async function hashFile(file: string, size: number, pieceLength = choosePieceLength(size), signal?: AbortSignal): Promise<FileHashes> {
  const whole = createHash('sha256');
  const pieces: Buffer[] = [];
  let piece = createHash('sha1');
  let inPiece = 0;
  let read = 0;
  const stream = createReadStream(file, { highWaterMark: READ_CHUNK, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    read += chunk.length;
    if (read > size) break;
    whole.update(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(pieceLength - inPiece, chunk.length - offset);
      piece.update(take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
      inPiece += take;
      offset += take;
      if (inPiece === pieceLength) {
        pieces.push(piece.digest());
        piece = createHash('sha1');
        inPiece = 0;
      }
    }
  }
  stream.destroy();
  if (read !== size) throw new Error(`the file changed while it was hashed (${read} bytes read, ${size} expected)`);
  if (inPiece > 0) pieces.push(piece.digest());
  return { size, pieceLength, pieces: Buffer.concat(pieces), sha256: whole.digest() };
}
