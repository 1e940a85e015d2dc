import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** One viewer beacon, already validated, its title found. Byte and time figures are the session's totals so far. */
export interface BeaconRecord {
  session: string;
  /** The title id (as in the collection listing). */
  title: string;
  rendition?: string;
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  watchSeconds: number;
  played: boolean;
}

/** Bytes the site itself sent for one title since the last call. */
export interface ServerBytes {
  title: string;
  originBytes: number;
  seederUploadBytes: number;
}

/** Sums over some span: the figures a store keeps. */
export interface CountFigures {
  views: number;
  watchSeconds: number;
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  originBytes: number;
  seederUploadBytes: number;
}

export interface CountsSnapshot {
  totals: CountFigures;
  /** Every title with a count, all time. */
  titles: (CountFigures & { title: string })[];
  /** The most recent days with data (UTC, "YYYY-MM-DD"), oldest first. */
  days: (CountFigures & { day: string })[];
}

export interface RollUpResult {
  sessionsDeleted: number;
  daysRolledUp: number;
}

/**
 * Where the site's download counts live. One machine uses SQLite (below); a fleet can put the same five calls in
 * front of a shared PostgreSQL. Every write is a difference the store applies atomically, so several processes
 * may write to one store at once.
 */
export interface CountsStore {
  /** Applies one beacon: what it adds beyond the session's previous totals, and a view the first time it played. */
  recordBeacon(beacon: BeaconRecord, now?: number): void;
  /** Adds the site's own bytes (origin, seeder) to today's rows. */
  addServerBytes(batch: readonly ServerBytes[], now?: number): void;
  snapshot(options?: { days?: number }): CountsSnapshot;
  /** Forgets sessions idle for long (their totals are in the daily rows) and folds very old days into per-title totals. */
  rollUp(now?: number): RollUpResult;
  /** Safe to call twice. */
  close(): void;
}

export interface SqliteCountsOptions {
  /** Sessions silent for longer are forgotten (a beacon after that starts a new session). Default 2 days. */
  sessionMaxAgeMs?: number;
  /** Daily rows older than this many days are folded into one totals row per title. Default 400. */
  keepDays?: number;
  /** How long a write waits for another process's write to finish. Default 5 s. */
  busyTimeoutMs?: number;
}

const DAY_MS = 86_400_000;
const FIGURES = ['views', 'watch_seconds', 'http_bytes', 'p2p_bytes', 'upload_bytes', 'origin_bytes', 'seeder_upload_bytes'] as const;
const SUMS = FIGURES.map((column) => `SUM(${column}) AS ${column}`).join(', ');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  session TEXT NOT NULL,
  title TEXT NOT NULL,
  rendition TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  http_bytes INTEGER NOT NULL DEFAULT 0,
  p2p_bytes INTEGER NOT NULL DEFAULT 0,
  upload_bytes INTEGER NOT NULL DEFAULT 0,
  watch_seconds REAL NOT NULL DEFAULT 0,
  counted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session, title)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen);
CREATE TABLE IF NOT EXISTS daily (
  day TEXT NOT NULL,
  title TEXT NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  watch_seconds REAL NOT NULL DEFAULT 0,
  http_bytes INTEGER NOT NULL DEFAULT 0,
  p2p_bytes INTEGER NOT NULL DEFAULT 0,
  upload_bytes INTEGER NOT NULL DEFAULT 0,
  origin_bytes INTEGER NOT NULL DEFAULT 0,
  seeder_upload_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, title)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS title_totals (
  title TEXT PRIMARY KEY,
  views INTEGER NOT NULL DEFAULT 0,
  watch_seconds REAL NOT NULL DEFAULT 0,
  http_bytes INTEGER NOT NULL DEFAULT 0,
  p2p_bytes INTEGER NOT NULL DEFAULT 0,
  upload_bytes INTEGER NOT NULL DEFAULT 0,
  origin_bytes INTEGER NOT NULL DEFAULT 0,
  seeder_upload_bytes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

/** A row of sums; SUM over no rows is NULL. */
type Row = Record<(typeof FIGURES)[number], number | null>;

interface SessionRow {
  http_bytes: number;
  p2p_bytes: number;
  upload_bytes: number;
  watch_seconds: number;
  counted: number;
}

/** "YYYY-MM-DD" of a time, in UTC. */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The counts store on one SQLite file (WAL, so readers never wait and several processes can write). */
export class SqliteCountsStore implements CountsStore {
  private readonly db: Database.Database;
  private readonly sessionMaxAgeMs: number;
  private readonly keepDays: number;
  private readonly sql: ReturnType<typeof prepare>;
  private closed = false;

  /** Opens (creating it and its folder when missing) the database at `file`; ':memory:' for a throwaway one. */
  constructor(file: string, options: SqliteCountsOptions = {}) {
    this.sessionMaxAgeMs = options.sessionMaxAgeMs ?? 2 * DAY_MS;
    this.keepDays = options.keepDays ?? 400;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across a process crash in WAL mode; only a power cut can lose the last commits.
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      this.sql = prepare(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
  }

  recordBeacon(beacon: BeaconRecord, now = Date.now()): void {
    this.assertOpen();
    // IMMEDIATE takes the write lock before reading the session, so two processes cannot both count its first play.
    this.sql.recordBeacon.immediate(beacon, now);
  }

  addServerBytes(batch: readonly ServerBytes[], now = Date.now()): void {
    this.assertOpen();
    const useful = batch.filter((entry) => entry.originBytes > 0 || entry.seederUploadBytes > 0);
    if (useful.length > 0) this.sql.addServerBytes.immediate(useful, utcDay(now));
  }

  snapshot(options: { days?: number } = {}): CountsSnapshot {
    this.assertOpen();
    return this.sql.snapshot(options.days ?? 30);
  }

  rollUp(now = Date.now()): RollUpResult {
    this.assertOpen();
    return this.sql.rollUp.immediate(now - this.sessionMaxAgeMs, utcDay(now - this.keepDays * DAY_MS));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw Object.assign(new Error('the counts store is closed'), { code: 'ERR_DESTROYED' });
  }
}

/** The statements and transactions of the store, prepared once. */
function prepare(db: Database.Database) {
  const columns = FIGURES.join(', ');
  const addUp = FIGURES.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
  const everything = `SELECT title, ${columns} FROM daily UNION ALL SELECT title, ${columns} FROM title_totals`;
  const session = db.prepare<[string, string], SessionRow>(
    'SELECT http_bytes, p2p_bytes, upload_bytes, watch_seconds, counted FROM sessions WHERE session = ? AND title = ?',
  );
  const insertSession = db.prepare(
    `INSERT INTO sessions (session, title, rendition, first_seen, last_seen, http_bytes, p2p_bytes, upload_bytes, watch_seconds, counted)
     VALUES (@session, @title, @rendition, @now, @now, @httpBytes, @p2pBytes, @uploadBytes, @watchSeconds, @counted)`,
  );
  const updateSession = db.prepare(
    `UPDATE sessions SET rendition = COALESCE(@rendition, rendition), last_seen = MAX(last_seen, @now), http_bytes = @httpBytes,
     p2p_bytes = @p2pBytes, upload_bytes = @uploadBytes, watch_seconds = @watchSeconds, counted = @counted
     WHERE session = @session AND title = @title`,
  );
  const addToDay = db.prepare<unknown[]>(
    `INSERT INTO daily (day, title, ${columns}) VALUES (?, ?, ${FIGURES.map(() => '?').join(', ')})
     ON CONFLICT (day, title) DO UPDATE SET ${addUp}`,
  );
  const deleteSessions = db.prepare<[number]>('DELETE FROM sessions WHERE last_seen < ?');
  const rollDays = db.prepare<[string]>(
    `INSERT INTO title_totals (title, ${columns})
     SELECT title, ${FIGURES.map((column) => `SUM(${column})`).join(', ')} FROM daily WHERE day < ? GROUP BY title
     ON CONFLICT (title) DO UPDATE SET ${addUp}`,
  );
  const deleteDays = db.prepare<[string]>('DELETE FROM daily WHERE day < ?');
  const totals = db.prepare<[], Row>(`SELECT ${SUMS} FROM (${everything})`);
  const titles = db.prepare<[], Row & { title: string }>(`SELECT title, ${SUMS} FROM (${everything}) GROUP BY title`);
  const days = db.prepare<[number], Row & { day: string }>(`SELECT day, ${SUMS} FROM daily GROUP BY day ORDER BY day DESC LIMIT ?`);

  const add = (day: string, title: string, figures: readonly number[]): void => {
    if (figures.some((value) => value !== 0)) addToDay.run(day, title, ...figures);
  };
  return {
    recordBeacon: db.transaction((beacon: BeaconRecord, now: number) => {
      const before = session.get(beacon.session, beacon.title);
      // Totals only grow: a beacon that arrives late or twice adds nothing and lowers nothing.
      const after = {
        httpBytes: Math.max(before?.http_bytes ?? 0, beacon.httpBytes),
        p2pBytes: Math.max(before?.p2p_bytes ?? 0, beacon.p2pBytes),
        uploadBytes: Math.max(before?.upload_bytes ?? 0, beacon.uploadBytes),
        watchSeconds: Math.max(before?.watch_seconds ?? 0, beacon.watchSeconds),
        counted: before?.counted === 1 || beacon.played ? 1 : 0,
      };
      const row = { ...after, session: beacon.session, title: beacon.title, rendition: beacon.rendition ?? null, now };
      if (before) updateSession.run(row);
      else insertSession.run(row);
      add(utcDay(now), beacon.title, [
        after.counted - (before?.counted ?? 0),
        after.watchSeconds - (before?.watch_seconds ?? 0),
        after.httpBytes - (before?.http_bytes ?? 0),
        after.p2pBytes - (before?.p2p_bytes ?? 0),
        after.uploadBytes - (before?.upload_bytes ?? 0),
        0,
        0,
      ]);
    }),
    addServerBytes: db.transaction((batch: readonly ServerBytes[], day: string) => {
      for (const entry of batch) add(day, entry.title, [0, 0, 0, 0, 0, entry.originBytes, entry.seederUploadBytes]);
    }),
    // One read transaction: totals, titles and days all see the same commits.
    snapshot: db.transaction(
      (dayCount: number): CountsSnapshot => ({
        totals: figures(totals.get() ?? {}),
        titles: titles.all().map((row) => ({ title: row.title, ...figures(row) })),
        days: days
          .all(dayCount)
          .reverse()
          .map((row) => ({ day: row.day, ...figures(row) })),
      }),
    ),
    rollUp: db.transaction((sessionsBefore: number, dayBefore: string): RollUpResult => {
      const sessionsDeleted = deleteSessions.run(sessionsBefore).changes;
      rollDays.run(dayBefore);
      const daysRolledUp = deleteDays.run(dayBefore).changes;
      return { sessionsDeleted, daysRolledUp };
    }),
  };
}

function figures(row: Partial<Row>): CountFigures {
  return {
    views: row.views ?? 0,
    watchSeconds: row.watch_seconds ?? 0,
    httpBytes: row.http_bytes ?? 0,
    p2pBytes: row.p2p_bytes ?? 0,
    uploadBytes: row.upload_bytes ?? 0,
    originBytes: row.origin_bytes ?? 0,
    seederUploadBytes: row.seeder_upload_bytes ?? 0,
  };
}
