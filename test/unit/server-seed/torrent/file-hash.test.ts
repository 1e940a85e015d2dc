import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePieceLength, hashFile } from '../../../../server-seed/src/torrent/file-hash.ts';
import { bytes, makeTempDir, removeDir } from '../helpers.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

describe('choosePieceLength', () => {
  it('keeps small files at 64 KiB pieces and large ones at 1 MiB', () => {
    expect(choosePieceLength(1)).toBe(64 * KIB);
    expect(choosePieceLength(128 * MIB)).toBe(64 * KIB);
    expect(choosePieceLength(128 * MIB + 1)).toBe(128 * KIB);
    expect(choosePieceLength(64 * 1024 * MIB)).toBe(MIB);
  });

  it('aims at 1024 to 2048 pieces in between', () => {
    for (const size of [129 * MIB, 150e6, 200e6, 700e6, 2000 * MIB]) {
      const pieces = Math.ceil(size / choosePieceLength(size));
      expect(pieces).toBeGreaterThan(1024);
      expect(pieces).toBeLessThanOrEqual(2048);
    }
  });
});

describe('hashFile', () => {
  let dir: string;
  const content = Buffer.from(bytes(100_000, 3));
  let file: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    file = path.join(dir, 'a.bin');
    await writeFile(file, content);
  });
  afterAll(() => removeDir(dir));

  it('gives the SHA-1 of every piece (the last one short) and the SHA-256 of the whole', async () => {
    const hashes = await hashFile(file, content.length, 16 * KIB);
    const expected = [];
    for (let start = 0; start < content.length; start += 16 * KIB) {
      expected.push(createHash('sha1').update(content.subarray(start, start + 16 * KIB)).digest());
    }
    expect(hashes.pieceLength).toBe(16 * KIB);
    expect(hashes.pieces).toEqual(Buffer.concat(expected));
    expect(hashes.sha256).toEqual(createHash('sha256').update(content).digest());
  });

  it('rejects when the file is not the size it was listed with', async () => {
    await expect(hashFile(file, content.length + 1)).rejects.toThrow(/changed/);
    await expect(hashFile(file, content.length - 1)).rejects.toThrow(/changed/);
  });
});
