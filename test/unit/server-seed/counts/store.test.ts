import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCountsStore, type BeaconRecord } from '../../../../server-seed/src/counts/store.ts';
import { makeTempDir, removeDir } from '../helpers.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const DAY = 86_400_000;
const NOON = Date.UTC(2026, 10, 22, 12);

let dir: string;
const stores: SqliteCountsStore[] = [];
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await removeDir(dir);
});

function open(options?: ConstructorParameters<typeof SqliteCountsStore>[1]): SqliteCountsStore {
  const store = new SqliteCountsStore(path.join(dir, 'sub', 'counts.db'), options);
  stores.push(store);
  return store;
}

const beacon = (fields: Partial<BeaconRecord> = {}): BeaconRecord => ({
  session: 'session-aaaaaaaaaaaa',
  title: 'film',
  httpBytes: 0,
  p2pBytes: 0,
  uploadBytes: 0,
  watchSeconds: 0,
  played: false,
  ...fields,
});

describe('SqliteCountsStore', () => {
  it('counts a session once, when it first says it played, and adds only what each beacon adds', () => {
    const store = open();
    store.recordBeacon(beacon({ httpBytes: 100 }), NOON);
    expect(store.snapshot().totals).toMatchObject({ views: 0, httpBytes: 100 });
    store.recordBeacon(beacon({ httpBytes: 150, p2pBytes: 400, uploadBytes: 20, watchSeconds: 4, played: true, rendition: '360p/index.m3u8' }), NOON + 1000);
    store.recordBeacon(beacon({ httpBytes: 150, p2pBytes: 900, uploadBytes: 20, watchSeconds: 9.5, played: true }), NOON + 2000);
    expect(store.snapshot()).toEqual({
      totals: { views: 1, watchSeconds: 9.5, httpBytes: 150, p2pBytes: 900, uploadBytes: 20, originBytes: 0, seederUploadBytes: 0 },
      titles: [{ title: 'film', views: 1, watchSeconds: 9.5, httpBytes: 150, p2pBytes: 900, uploadBytes: 20, originBytes: 0, seederUploadBytes: 0 }],
      days: [{ day: '2026-11-22', views: 1, watchSeconds: 9.5, httpBytes: 150, p2pBytes: 900, uploadBytes: 20, originBytes: 0, seederUploadBytes: 0 }],
    });
  });

  it('never lowers or double counts on a replayed or out-of-order beacon', () => {
    const store = open();
    const late = beacon({ httpBytes: 100, p2pBytes: 50, watchSeconds: 3, played: true });
    const later = beacon({ httpBytes: 300, p2pBytes: 80, watchSeconds: 8, played: true });
    store.recordBeacon(later, NOON);
    store.recordBeacon(late, NOON + 1);
    store.recordBeacon(later, NOON + 2);
    // Each field only grows, on its own: this one adds p2p bytes but not HTTP bytes.
    store.recordBeacon(beacon({ httpBytes: 200, p2pBytes: 120, watchSeconds: 8, played: false }), NOON + 3);
    expect(store.snapshot().totals).toMatchObject({ views: 1, httpBytes: 300, p2pBytes: 120, watchSeconds: 8 });
  });

  it('keeps the same session id of two titles apart, and sorts days oldest first', () => {
    const store = open();
    store.recordBeacon(beacon({ played: true, httpBytes: 5 }), NOON - DAY);
    store.recordBeacon(beacon({ title: 'other', played: true, httpBytes: 7 }), NOON);
    store.addServerBytes([{ title: 'other', originBytes: 1000, seederUploadBytes: 0 }], NOON);
    const snapshot = store.snapshot();
    expect(snapshot.totals).toMatchObject({ views: 2, httpBytes: 12, originBytes: 1000 });
    expect(snapshot.days.map((day) => [day.day, day.views, day.originBytes])).toEqual([
      ['2026-11-21', 1, 0],
      ['2026-11-22', 1, 1000],
    ]);
    expect(store.snapshot({ days: 1 }).days.map((day) => day.day)).toEqual(['2026-11-22']);
  });

  it('keeps its counts across a reopen', () => {
    const first = open();
    first.recordBeacon(beacon({ played: true, httpBytes: 10 }), NOON);
    first.close();
    const second = open();
    second.recordBeacon(beacon({ played: true, httpBytes: 10 }), NOON + 1000);
    expect(second.snapshot().totals).toMatchObject({ views: 1, httpBytes: 10 });
  });

  it('rolls up: forgets old sessions, folds old days into per-title totals, and the totals stay the same', () => {
    const store = open({ sessionMaxAgeMs: 2 * DAY, keepDays: 400 });
    const old = NOON - 500 * DAY;
    store.recordBeacon(beacon({ session: 'old-session-00000001', played: true, httpBytes: 100, watchSeconds: 60 }), old);
    store.addServerBytes([{ title: 'film', originBytes: 50, seederUploadBytes: 5 }], old);
    store.recordBeacon(beacon({ session: 'week-session-0000001', played: true, p2pBytes: 30 }), NOON - 7 * DAY);
    store.recordBeacon(beacon({ session: 'new-session-00000001', played: true, httpBytes: 1 }), NOON);
    const before = store.snapshot();
    expect(store.rollUp(NOON)).toEqual({ sessionsDeleted: 2, daysRolledUp: 1 });
    const after = store.snapshot();
    expect(after.totals).toEqual(before.totals);
    expect(after.titles).toEqual(before.titles);
    expect(after.days.map((day) => day.day)).toEqual(['2026-11-15', '2026-11-22']);
    // Twice is the same as once.
    expect(store.rollUp(NOON)).toEqual({ sessionsDeleted: 0, daysRolledUp: 0 });
    expect(store.snapshot().totals).toEqual(before.totals);
    // The recent session is still known: its replay adds nothing.
    store.recordBeacon(beacon({ session: 'new-session-00000001', played: true, httpBytes: 1 }), NOON + 1);
    expect(store.snapshot().totals).toEqual(before.totals);
  });

  it('loses nothing when two processes write to the same file at once', async () => {
    const file = path.join(dir, 'shared.db');
    // Created first, so both writers open an existing WAL database.
    new SqliteCountsStore(file).close();
    const writer = path.join(repo, 'test/unit/server-seed/counts/write-beacons.ts');
    const run = (prefix: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', writer, file, prefix, '300'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${prefix} exited ${code}: ${stderr}`))));
      });
    await Promise.all([run('a'), run('b')]);
    const store = new SqliteCountsStore(file);
    stores.push(store);
    expect(store.snapshot().totals).toEqual({
      // 300 sessions from each writer, and the shared one once.
      views: 601,
      watchSeconds: 600,
      // 10 per own session, and the shared session's highest total (300) once.
      httpBytes: 6000 + 300,
      p2pBytes: 18_000,
      uploadBytes: 600,
      originBytes: 600 * 7,
      seederUploadBytes: 600 * 3,
    });
  }, 60_000);

  it('refuses use after close', () => {
    const store = open();
    store.close();
    store.close();
    expect(() => store.snapshot()).toThrow(/closed/);
  });
});
