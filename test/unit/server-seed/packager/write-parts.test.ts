import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParts } from '../../../../server-seed/src/packager/write-parts.ts';
import { bytes, makeTempDir, removeDir } from '../helpers.ts';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(async () => {
  if (dir) await removeDir(dir);
});

describe('writeParts', () => {
  it('writes the parts one after the other, views into a larger buffer included, and resolves to their size', async () => {
    const source = bytes(5000);
    const parts = [bytes(12, 1), source.subarray(100, 600), new Uint8Array(0), source.subarray(2000, 4999)];
    const file = path.join(dir, 'segment.m4s');
    await expect(writeParts(file, parts)).resolves.toBe(12 + 500 + 2999);
    expect(Buffer.from(await readFile(file)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('replaces a file already there', async () => {
    const file = path.join(dir, 'old.m4s');
    await writeFile(file, bytes(10_000));
    await writeParts(file, [bytes(3)]);
    expect((await readFile(file)).byteLength).toBe(3);
  });

  it('rejects when the file cannot be created', async () => {
    await expect(writeParts(path.join(dir, 'missing', 'x.m4s'), [bytes(3)])).rejects.toThrow(/ENOENT/);
  });
});
