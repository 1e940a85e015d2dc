/**
 * Live benchmark: an ffmpeg encoder writes a live HLS stream (2 s segments) that one p2p-seed follows; N headless
 * viewers join it, first with P2P off (plain hls.js), then with P2P and the server's seeder, in the same process.
 * Prints, for each, origin bytes (also as copies of each segment the encoder made meanwhile), seeder upload,
 * startup, stalls, P2P share and how far behind the live edge viewers play, with P2P's ratios to plain and its
 * targets, and writes them to test-results/bench-live.json. Speed figures are printed, never asserted.
 *
 *   npm run bench -- live [--viewers 6] [--stagger 2] [--watch 40] [--runs 1]
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { LiveStream } from '../../server-seed/src/live/live-stream.ts';
import { startServer, type RunningServer } from '../../server-seed/src/server.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../chromium.ts';
import { figuresOf, median, type RunResult } from './bench-report.ts';
import { startLiveEncoder, type LiveEncoder } from './live-encoder.ts';
import { runViewer, sleep, ViewerStartError, type ViewerResult } from './bench-viewer.ts';
import { parseViewerOptions, UsageError, type BenchOptions } from './viewer-options.ts';

const REPO = join(import.meta.dirname, '../..');
const OUTPUT = join(REPO, 'test-results/bench-live.json');
const START_TIMEOUT_MS = 30_000;
/** The encoder's segment length, which is the stream's target duration. */
const TARGET_DURATION = 2;
/** Latency samples per viewer, spread over its watch. */
const SAMPLES = 5;
/** Targets with P2P: origin copies of each new segment (set for 6 viewers), and delay beyond plain's. */
const MAX_COPIES = 1.5;
const MAX_EXTRA_DELAY = 3;

const USAGE = `usage: npm run bench -- live [--viewers 6] [--stagger 2] [--watch 40] [--runs 1]
  --viewers N   viewers per mode, each in its own browser context (default 6)
  --stagger S   seconds between two viewers joining (default 2)
  --watch S     seconds each viewer watches from its first \`playing\` (default 40)
  --runs K      repeat both modes K times and report medians (default 1)`;

type Options = BenchOptions;

function parseOptions(argv: string[]): Options {
  const { extra: _, ...options } = parseViewerOptions(argv, { viewers: 6, stagger: 2, watch: 40, runs: 1 }, USAGE);
  return options;
}

/** Plain hls.js with p2p="off"; P2P in the stream's own swarm, where the server's seeder is. */
type LiveMode = 'off' | 'seeded';
const MODES: LiveMode[] = ['off', 'seeded'];
const LABELS: Record<LiveMode, string> = { off: 'P2P off', seeded: 'P2P + seeder' };

interface LiveViewer extends ViewerResult {
  /** hls.js' estimate of how far behind the live edge it played, s, sampled during the watch. */
  latencySamples: number[];
  /** hls.js' target for it, s (the last sample's). */
  targetLatency: number | null;
}

interface LiveRun extends RunResult {
  mode: LiveMode;
  viewers: LiveViewer[];
  /** Segments the encoder wrote during the mode. */
  newSegments: number;
  averageSegmentBytes: number;
}

interface LiveFigures extends ReturnType<typeof figuresOf> {
  /** Origin segment bytes over the bytes of the segments written meanwhile: how many times each left the origin. */
  copies: number;
  /** The seeder's upload over the same bytes. */
  seederCopies: number;
  /** Median over viewers of each one's median delay behind the live edge, s. */
  delaySeconds: number;
}

function liveFigures(run: LiveRun): LiveFigures {
  const written = Math.max(1, run.newSegments * run.averageSegmentBytes);
  return {
    ...figuresOf(run),
    copies: run.originSegmentBytes / written,
    seederCopies: run.seederUploadBytes / written,
    delaySeconds: median(run.viewers.map((v) => median(v.latencySamples))),
  };
}

/** Every segment the stream has held, by sequence number, with its size: the window slides faster than modes last. */
class SegmentLog {
  private readonly bytes = new Map<number, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly stream: LiveStream) {
    this.timer = setInterval(() => this.note(), 500);
    this.note();
  }

  /** The newest segment's sequence number (-1 before any). */
  newest(): number {
    this.note();
    return Math.max(-1, ...this.bytes.keys());
  }

  /** Mean size of the segments after `from` up to `to`, bytes. */
  averageBytes(from: number, to: number): number {
    const sizes = [...this.bytes].filter(([sn]) => sn > from && sn <= to).map(([, bytes]) => bytes);
    return sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) / sizes.length : Number.NaN;
  }

  destroy(): void {
    clearInterval(this.timer);
  }

  private note(): void {
    for (const { sn, bytes } of this.stream.window()) this.bytes.set(sn, bytes);
  }
}

/** A few readings of hls.js' `latency` spread over the watch; a reading that fails (the page going) is skipped. */
function sampleLatency(into: { latencySamples: number[]; targetLatency: number | null }) {
  return async (page: Page, watchMs: number): Promise<void> => {
    for (let i = 1; i <= SAMPLES; i += 1) {
      await sleep(watchMs / (SAMPLES + 1));
      const reading = await page
        .evaluate(() => {
          // Internal path, as test/e2e/viewers.ts reads it.
          type Internals = { playerController?: { session?: { hls?: { latency: number; targetLatency: number | null } } } };
          const hls = (document.querySelector('p2p-video') as unknown as Internals).playerController?.session?.hls;
          return hls ? { latency: hls.latency, target: hls.targetLatency } : null;
        })
        .catch(() => null);
      // 0: hls.js has no estimate yet.
      if (reading && reading.latency > 0) into.latencySamples.push(reading.latency);
      if (reading) into.targetLatency = reading.target;
    }
  };
}

interface Bench {
  browser: Browser;
  server: RunningServer;
  segments: SegmentLog;
  encoder: LiveEncoder;
  page: string;
  src: string;
  options: Options;
}

/** One mode once: viewers join `stagger` seconds apart, each watches and leaves; the origin counts what it sent. */
async function runMode(bench: Bench, mode: LiveMode, run: number, swarmId: string): Promise<LiveRun> {
  const { viewers, stagger, watch } = bench.options;
  bench.server.origin.reset();
  const seederBefore = await seederUpload(bench);
  const firstSn = bench.segments.newest();
  const all = Promise.allSettled(
    Array.from({ length: viewers }, async (_, index): Promise<LiveViewer> => {
      await sleep(index * stagger * 1000);
      const latency = { latencySamples: [] as number[], targetLatency: null as number | null };
      const result = await runViewer(bench.browser, index, {
        page: bench.page,
        src: bench.src,
        mode,
        swarmId,
        watchSeconds: watch,
        startTimeoutMs: START_TIMEOUT_MS,
        whileWatching: sampleLatency(latency),
      });
      return { ...result, ...latency };
    }),
  );
  const deadlineMs = ((viewers - 1) * stagger + watch) * 1000 + START_TIMEOUT_MS * 2 + 30_000;
  const settled = await withDeadline(all, deadlineMs, `run ${run} with ${LABELS[mode]} did not finish`);
  const { segmentBytes, segmentRequests } = bench.server.origin.snapshot;
  const lastSn = bench.segments.newest();
  if (bench.encoder.failure) throw bench.encoder.failure;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    mode,
    run,
    swarmId,
    originSegmentBytes: segmentBytes,
    originSegmentRequests: segmentRequests,
    seederUploadBytes: (await seederUpload(bench)) - seederBefore,
    viewers: settled.map((s) => (s as PromiseFulfilledResult<LiveViewer>).value),
    newSegments: lastSn - firstSn,
    averageSegmentBytes: bench.segments.averageBytes(firstSn, lastSn),
  };
}

async function seederUpload(bench: Bench): Promise<number> {
  const stats = (await (await fetch(`${bench.server.url}stats`)).json()) as { seeder: { uploadBytes: number } | null };
  if (!stats.seeder) throw new Error('the server runs no seeder');
  return stats.seeder.uploadBytes;
}

/** Waits for a window to join: three segments written. */
async function streamReady(stream: LiveStream, encoder: LiveEncoder): Promise<void> {
  const end = Date.now() + 60_000;
  while (stream.window().length < 3) {
    if (encoder.failure) throw encoder.failure;
    if (Date.now() > end) throw new Error(`the live stream had ${stream.window().length} segment(s) after 60 s, not 3`);
    await sleep(250);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const kb = (bytes: number): string => `${Math.round(bytes / 1000)} kB`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const ms = (n: number): string => `${Math.round(n)} ms`;
const s = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} s` : 'n/a');
const pct = (n: number): string => `${(n * 100).toFixed(1)} %`;
const x = (n: number): string => (Number.isFinite(n) ? `×${n.toFixed(2)}` : 'n/a');
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

function formatRun(result: LiveRun, f: LiveFigures): string {
  const head =
    `run ${result.run}, ${LABELS[result.mode]}: origin ${kb(result.originSegmentBytes)} in ${result.originSegmentRequests} requests ` +
    `= ${f.copies.toFixed(2)} copies of the ${result.newSegments} new segments (${kb(result.averageSegmentBytes)} each), ` +
    `seeder upload ${kb(result.seederUploadBytes)}, median startup ${ms(f.medianStartupMs)}, stalls ${f.stalls}, ` +
    `P2P share ${pct(f.p2pShare)}, delay behind the live edge ${s(f.delaySeconds)}`;
  const lines = result.viewers.map(
    (v) =>
      `  viewer ${v.index + 1}: startup ${v.startupMs} ms, stalls ${v.stalls}, http ${kb(v.httpBytes)} (${v.segmentsFromHttp} seg), ` +
      `p2p ${kb(v.p2pBytes)} (${v.segmentsFromPeers} seg), up ${kb(v.uploadBytes)}, peers ≤${v.maxPeers}, ` +
      `delay ${v.latencySamples.map((n) => n.toFixed(1)).join('/') || 'none'} s (hls.js target ${v.targetLatency === null ? 'n/a' : s(v.targetLatency)})`,
  );
  return [head, ...lines].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(REPO, 'player/dist/p2p-video.js'))) throw new Error('the player is not built: run `npm run build` first (`npm run bench` does)');
  const base = await mkdtemp(join(tmpdir(), 'p2p-video-bench-live-'));
  const site = join(base, 'site');
  const cam = join(base, 'cam');
  await mkdir(site);
  await mkdir(cam);
  await writeFile(
    join(site, 'bench.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>bench</title>' +
      '<script type="module" src="/player/p2p-video.js"></script></head><body></body></html>\n',
  );
  const encoder = startLiveEncoder(cam, TARGET_DURATION);
  let server: RunningServer | undefined;
  let segments: SegmentLog | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ root: site, port: 0, host: '127.0.0.1', counts: false, live: [{ dir: cam, name: 'cam' }] });
    const stream = server.live.get('cam')!;
    const origin = server.url.replace(/\/$/, '');
    const waited = Date.now();
    await streamReady(stream, encoder);
    console.log(`stream: ${stream.window().length} segments written after ${((Date.now() - waited) / 1000).toFixed(1)} s; ${origin}/live/cam/master.m3u8`);
    segments = new SegmentLog(stream);
    browser = await chromium.launch({ executablePath: chromiumExecutable, args: CHROMIUM_ARGS });
    console.log(
      `${options.viewers} viewers joining ${options.stagger} s apart, each watching ${options.watch} s of a live stream (${TARGET_DURATION} s segments); ` +
        `P2P off, then P2P with the seeder, ${options.runs} run(s) (Chromium ${browser.version()}, ${cpus().length} cores)`,
    );
    const bench: Bench = { browser, server, segments, encoder, page: `${origin}/bench.html`, src: `${origin}/live/cam/master.m3u8`, options };
    const started = Date.now();
    const session = started.toString(36);
    // One unmeasured viewer each way first: a cold browser is not the measure.
    for (const mode of MODES) {
      const warmUp = runViewer(browser, 0, { page: bench.page, src: bench.src, mode, swarmId: `live-${session}-warm-up`, watchSeconds: 2, startTimeoutMs: START_TIMEOUT_MS, label: 'the warm-up viewer' });
      await withDeadline(warmUp, START_TIMEOUT_MS * 2 + 30_000, 'the warm-up viewer did not finish');
    }
    const runs: LiveRun[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const mode of MODES) {
        const result = await runMode(bench, mode, run, `live-${session}-${run}-${mode}`);
        runs.push(result);
        console.log(formatRun(result, liveFigures(result)));
      }
    }

    const runNumbers = Array.from({ length: options.runs }, (_, i) => i + 1);
    const of = (mode: LiveMode, run: number): LiveFigures => liveFigures(runs.find((r) => r.run === run && r.mode === mode)!);
    const compare = (figure: (f: LiveFigures) => number) => ({
      plain: median(runNumbers.map((n) => figure(of('off', n)))),
      p2p: median(runNumbers.map((n) => figure(of('seeded', n)))),
      ratio: median(runNumbers.map((n) => figure(of('seeded', n)) / figure(of('off', n)))),
    });
    const extraDelay = median(runNumbers.map((n) => of('seeded', n).delaySeconds - of('off', n).delaySeconds));
    const summary = {
      viewers: options.viewers,
      runs: options.runs,
      targetDuration: TARGET_DURATION,
      originBytes: compare((f) => f.originBytes),
      copies: compare((f) => f.copies),
      medianStartupMs: compare((f) => f.medianStartupMs),
      stalls: { plain: median(runNumbers.map((n) => of('off', n).stalls)), p2p: median(runNumbers.map((n) => of('seeded', n).stalls)) },
      p2pShare: median(runNumbers.map((n) => of('seeded', n).p2pShare)),
      seederUploadBytes: median(runNumbers.map((n) => of('seeded', n).seederUploadBytes)),
      seederCopies: median(runNumbers.map((n) => of('seeded', n).seederCopies)),
      delaySeconds: { plain: median(runNumbers.map((n) => of('off', n).delaySeconds)), p2p: median(runNumbers.map((n) => of('seeded', n).delaySeconds)) },
      extraDelay: { seconds: extraDelay, targetDurations: extraDelay / TARGET_DURATION },
      targets: {
        copies: { max: MAX_COPIES, met: false },
        extraDelayTargetDurations: { max: MAX_EXTRA_DELAY, met: false },
      },
    };
    summary.targets.copies.met = summary.copies.p2p <= MAX_COPIES;
    summary.targets.extraDelayTargetDurations.met = summary.extraDelay.targetDurations <= MAX_EXTRA_DELAY;

    const rows: string[][] = [
      ['', 'P2P off', 'P2P + seeder', 'P2P / off', 'target'],
      ['origin segment bytes', mb(summary.originBytes.plain), mb(summary.originBytes.p2p), x(summary.originBytes.ratio), ''],
      [
        'origin copies per new segment',
        summary.copies.plain.toFixed(2),
        summary.copies.p2p.toFixed(2),
        x(summary.copies.ratio),
        `≤ ${MAX_COPIES.toFixed(2)}${options.viewers === 6 ? '' : ' (set for 6 viewers)'}: ${met(summary.targets.copies.met)}`,
      ],
      ['seeder upload', '', `${mb(summary.seederUploadBytes)} = ${summary.seederCopies.toFixed(2)} copies`, '', ''],
      ['P2P share', '', pct(summary.p2pShare), '', ''],
      ['median startup', ms(summary.medianStartupMs.plain), ms(summary.medianStartupMs.p2p), x(summary.medianStartupMs.ratio), ''],
      ['stalls (all viewers)', String(summary.stalls.plain), String(summary.stalls.p2p), '', ''],
      [
        'delay behind the live edge',
        s(summary.delaySeconds.plain),
        s(summary.delaySeconds.p2p),
        `${extraDelay >= 0 ? '+' : ''}${s(extraDelay)} = ${(extraDelay / TARGET_DURATION).toFixed(2)} TD`,
        `≤ +${MAX_EXTRA_DELAY} TD: ${met(summary.targets.extraDelayTargetDurations.met)}`,
      ],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ');
    console.log(
      `\n${options.viewers} viewers, ${options.runs === 1 ? '1 run' : `medians of ${options.runs} runs`}; target duration (TD) ${TARGET_DURATION} s\n` +
        `${rows.map(line).join('\n')}\n`,
    );
    await mkdir(join(REPO, 'test-results'), { recursive: true });
    const report = {
      date: new Date().toISOString(),
      command: ['tsx', 'test/bench/live-bench.ts', ...process.argv.slice(2)].join(' '),
      options,
      stream: { width: 640, height: 360, fps: 24, bitrateKbps: 500, segmentSeconds: TARGET_DURATION, playlistSegments: 6 },
      environment: { node: process.version, chromium: browser.version(), cores: cpus().length, platform: process.platform },
      durationSeconds: Math.round((Date.now() - started) / 1000),
      summary,
      runs,
    };
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${OUTPUT} (${report.durationSeconds} s)`);
  } finally {
    segments?.destroy();
    // Bounded, so a wedged browser cannot keep the process alive after the result (or the error) is out.
    await withDeadline(Promise.all([browser?.close(), server?.close(), encoder.stop()]), 15_000, 'closing the browser, server and encoder timed out').catch(
      (error: unknown) => console.error(`live-bench: ${(error as Error).message}`),
    );
    await rm(base, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`live-bench: ${error.message}\n${USAGE}`);
      process.exit(2);
    }
    const message = error instanceof ViewerStartError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`live-bench: ${message}`);
    process.exit(1);
  },
);
