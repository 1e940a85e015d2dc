import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGER_VERSION, STATE_FILE, isCurrent, readState, stateText } from '../../../../server-seed/src/packager/package-state.ts';
import type { PackageState } from '../../../../server-seed/src/packager/package-state.ts';
import { makeTempDir, removeDir } from '../helpers.ts';

const state: PackageState = {
  packager: PACKAGER_VERSION,
  targetSegmentSeconds: 4,
  sources: [
    { name: 'film.mp4', size: 100, mtimeMs: 1700000000123.25 },
    { name: 'film.480p.mp4', size: 50, mtimeMs: 1700000000456.5 },
  ],
  skipped: [],
  renditions: ['720p', '480p', 'audio'],
  segments: 12,
  bytes: 160,
};

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

describe('package state', () => {
  it('is current for the same sources in any order and the same options', () => {
    expect(isCurrent(state, [...state.sources].reverse(), 4)).toBe(true);
  });

  it('is stale when a source changed, came or went, or the packager or target changed', () => {
    const [a, b] = state.sources;
    expect(isCurrent(state, [a, { ...b, size: 51 }], 4)).toBe(false);
    expect(isCurrent(state, [a, { ...b, mtimeMs: b.mtimeMs + 1 }], 4)).toBe(false);
    expect(isCurrent(state, [a], 4)).toBe(false);
    expect(isCurrent(state, [a, b, { name: 'film.360p.mp4', size: 1, mtimeMs: 1 }], 4)).toBe(false);
    expect(isCurrent(state, [a, b], 6)).toBe(false);
    expect(isCurrent({ ...state, packager: PACKAGER_VERSION - 1 }, [a, b], 4)).toBe(false);
  });

  it('round-trips through the state file, mtimes exactly', async () => {
    await writeFile(path.join(dir, STATE_FILE), stateText(state));
    expect(await readState(dir)).toEqual(state);
  });

  it('reads a missing or damaged state file as no state', async () => {
    expect(await readState(dir)).toBeNull();
    await mkdir(path.join(dir, 'x'));
    await writeFile(path.join(dir, 'x', STATE_FILE), '{ not json');
    expect(await readState(path.join(dir, 'x'))).toBeNull();
  });
});
