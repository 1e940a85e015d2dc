import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadOnlyFileStore } from '../../../../server-seed/src/torrent/read-only-store.ts';
import { bytes, makeTempDir, removeDir } from '../helpers.ts';

describe('ReadOnlyFileStore', () => {
  let dir: string;
  let file: string;
  const content = Buffer.from(bytes(2500, 5));

  beforeAll(async () => {
    dir = await makeTempDir();
    file = path.join(dir, 'film.mp4');
    await writeFile(file, content);
  });
  afterAll(() => removeDir(dir));

  const get = (store: ReadOnlyFileStore, index: number, options?: { offset?: number; length?: number }) =>
    new Promise<Buffer | undefined>((resolve, reject) => store.get(index, options, (error, value) => (error ? reject(error) : resolve(value))));

  it('reads whole chunks, the short last one, and parts of chunks', async () => {
    const store = new ReadOnlyFileStore(1000, { file, length: content.length });
    expect(await get(store, 0)).toEqual(content.subarray(0, 1000));
    expect(await get(store, 2)).toEqual(content.subarray(2000));
    expect(await get(store, 1, { offset: 100, length: 50 })).toEqual(content.subarray(1100, 1150));
    await expect(get(store, 3)).rejects.toThrow(/no such range/);
    await expect(get(store, 2, { offset: 400, length: 200 })).rejects.toThrow(/no such range/);
    store.close();
  });

  it('refuses writes, and destroying it leaves the file in place', async () => {
    const store = new ReadOnlyFileStore(1000, { file, length: content.length });
    await expect(promisify((cb: (error: Error | null) => void) => store.put(0, Buffer.alloc(1000), cb))()).rejects.toThrow(/read-only/);
    await get(store, 0);
    await promisify((cb: (error: Error | null) => void) => store.destroy(cb))();
    expect(await readFile(file)).toEqual(content);
  });
});
