import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collection } from '../collection.ts';
import type { OriginCounter } from '../origin-counter.ts';
import { sendText } from '../responses.ts';
import { parseBeacon, readBody } from './beacon.ts';
import { MinuteLimit } from '../minute-limit.ts';
import type { CountFigures, CountsStore, ServerBytes } from './store.ts';
import { titleIndex, type TitleIndex } from './title-index.ts';

/** The figures /stats and /metrics report: what the store keeps and what follows from it. */
export interface CountTotals extends CountFigures {
  /** Bytes viewers got from other viewers rather than from the site's own seeder: max(0, p2pBytes - seederUploadBytes). */
  bytesSavedByPeers: number;
  /** p2pBytes / (httpBytes + p2pBytes), or 0. */
  peerShare: number;
}

/** The `counts` key of GET /stats. */
export interface CountsReport {
  totals: CountTotals;
  /** Most viewed first. */
  titles: (CountTotals & { title: string })[];
  /** The last 30 days with data (UTC), oldest first. */
  days: (CountTotals & { day: string })[];
}

export interface SiteCountsOptions {
  store: CountsStore;
  /** The collection now (beacons name a title by its `src`; served files belong to titles by their folder). */
  collection: () => Promise<Collection>;
  /** Counts origin bytes per file (constructed with `byPath: true`). */
  origin?: OriginCounter;
  /** Beacons one address may send per minute; beyond it, 429. Default 120. */
  beaconsPerMinute?: number;
  /** How often the site's own byte counts are written. Default 10 s. */
  flushMs?: number;
  /** How often old sessions and days are rolled up. Default 1 h. */
  rollUpMs?: number;
  logger?: (line: string) => void;
  now?: () => number;
}

/**
 * The site's download counts: takes viewers' beacons, gathers the bytes the origin and the seeder send per title,
 * writes both to the store, and reports them.
 */
export class SiteCounts {
  private readonly options: SiteCountsOptions;
  private readonly store: CountsStore;
  private readonly limit: MinuteLimit;
  private readonly now: () => number;
  /** Origin bytes by file, and seeder upload bytes by title src, not yet written. */
  private originBytes = new Map<string, number>();
  private seederBytes = new Map<string, number>();
  private readonly flushTimer: ReturnType<typeof setInterval>;
  private readonly rollUpTimer: ReturnType<typeof setInterval>;
  private closing: Promise<void> | undefined;

  constructor(options: SiteCountsOptions) {
    this.options = options;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.limit = new MinuteLimit(options.beaconsPerMinute ?? 120, this.now);
    this.rollUp();
    this.flushTimer = setInterval(() => void this.flush(), options.flushMs ?? 10_000);
    this.flushTimer.unref?.();
    this.rollUpTimer = setInterval(() => this.rollUp(), options.rollUpMs ?? 3_600_000);
    this.rollUpTimer.unref?.();
  }

  /** Answers POST /beacon: 204 when stored, 400 for anything malformed (nothing stored), 429 beyond the rate limit. */
  async handleBeacon(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    // The body is left unread on refusals before it is read: the connection closes rather than drain it.
    const close = { Connection: 'close' };
    if (this.closing) {
      sendText(req, res, 503, 'the server is shutting down', close);
      return;
    }
    if (!this.limit.take(req.socket.remoteAddress ?? 'unknown')) {
      sendText(req, res, 429, 'too many beacons from this address; try again in a minute', { ...close, 'Retry-After': '60' });
      return;
    }
    const body = await readBody(req);
    if (!body.ok) {
      sendText(req, res, body.status, body.message, close);
      return;
    }
    const beacon = parseBeacon(body.value);
    if (!beacon.ok) {
      sendText(req, res, beacon.status, beacon.message);
      return;
    }
    const title = (await this.index()).bySrc(new URL(beacon.value.src).pathname);
    if (title === undefined) {
      sendText(req, res, 400, 'unknown video: "src" is not a stream of this site');
      return;
    }
    if (this.closing) {
      sendText(req, res, 503, 'the server is shutting down');
      return;
    }
    const { session, rendition, httpBytes, p2pBytes, uploadBytes, watchSeconds, played } = beacon.value;
    try {
      this.store.recordBeacon({ session, title, rendition, httpBytes, p2pBytes, uploadBytes, watchSeconds, played }, this.now());
    } catch (error) {
      this.log(`p2p-seed: counts: cannot store a beacon: ${(error as Error).message}`);
      sendText(req, res, 503, 'the counts cannot be stored now; try again later');
      return;
    }
    res.statusCode = 204;
    res.end();
  }

  /** The seeder sent `bytes` of the title whose src is `src` (written at the next flush). */
  addSeederUpload(src: string, bytes: number): void {
    add(this.seederBytes, src, bytes);
  }

  /** Writes the site's own byte counts gathered since the last flush. */
  async flush(): Promise<void> {
    for (const [file, bytes] of this.options.origin?.takeByPath() ?? []) add(this.originBytes, file, bytes);
    // Nothing to write: no need to list the collection (a rescan, on a large one).
    if (this.originBytes.size === 0 && this.seederBytes.size === 0) return;
    let index: TitleIndex;
    try {
      index = await this.index();
    } catch (error) {
      // Kept for the next flush.
      this.log(`p2p-seed: counts: cannot list the collection: ${(error as Error).message}`);
      return;
    }
    // From here on synchronous: nothing is taken that is not written.
    const batch = new Map<string, ServerBytes>();
    const entry = (title: string): ServerBytes => {
      let found = batch.get(title);
      if (!found) batch.set(title, (found = { title, originBytes: 0, seederUploadBytes: 0 }));
      return found;
    };
    // Files of no title (a folder several playlists share) stay in the origin's total only.
    for (const [file, bytes] of this.originBytes) {
      const title = index.byFile(file);
      if (title !== undefined) entry(title).originBytes += bytes;
    }
    for (const [src, bytes] of this.seederBytes) {
      const title = index.bySrc(src);
      if (title !== undefined) entry(title).seederUploadBytes += bytes;
    }
    this.originBytes = new Map();
    this.seederBytes = new Map();
    if (batch.size === 0) return;
    try {
      this.store.addServerBytes([...batch.values()], this.now());
    } catch (error) {
      this.log(`p2p-seed: counts: cannot store the server's byte counts: ${(error as Error).message}`);
    }
  }

  /** The counts as GET /stats shows them, the site's latest bytes included. */
  async report(): Promise<CountsReport> {
    if (!this.closing) await this.flush();
    const snapshot = this.store.snapshot({ days: 30 });
    return {
      totals: derive(snapshot.totals),
      titles: snapshot.titles
        .map((row) => ({ title: row.title, ...derive(row) }))
        .sort((a, b) => b.views - a.views || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0)),
      days: snapshot.days.map((row) => ({ day: row.day, ...derive(row) })),
    };
  }

  /** Writes what is pending, then closes the store. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.flushTimer);
      clearInterval(this.rollUpTimer);
      await this.flush();
      this.store.close();
    })();
    return this.closing;
  }

  private async index(): Promise<TitleIndex> {
    return titleIndex(await this.options.collection());
  }

  private rollUp(): void {
    try {
      const { daysRolledUp } = this.store.rollUp(this.now());
      if (daysRolledUp > 0) this.log(`p2p-seed: counts: rolled ${daysRolledUp} old day row(s) into per-title totals`);
    } catch (error) {
      this.log(`p2p-seed: counts: roll-up failed: ${(error as Error).message}`);
    }
  }

  private log(line: string): void {
    this.options.logger?.(line);
  }
}

function add(map: Map<string, number>, key: string, bytes: number): void {
  map.set(key, (map.get(key) ?? 0) + bytes);
}

function derive(figures: CountFigures): CountTotals {
  const watched = figures.httpBytes + figures.p2pBytes;
  return {
    ...figures,
    // Sums of tenths of seconds: round away the binary noise.
    watchSeconds: Math.round(figures.watchSeconds * 1000) / 1000,
    bytesSavedByPeers: Math.max(0, figures.p2pBytes - figures.seederUploadBytes),
    peerShare: watched > 0 ? figures.p2pBytes / watched : 0,
  };
}
