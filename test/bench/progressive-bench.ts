/**
 * Progressive-file benchmark: N headless viewers watch the same MP4 from one p2p-seed, first as plain `<video src>`
 * (p2p="off": the browser fetches the file itself), then through WebTorrent with the file as web seed and the
 * server's torrent seeder in the swarm, in the same process: once as first-time visitors (the player's service
 * worker installs before the video can start) and once as returning ones; prints origin bytes, seeder upload,
 * startup and stalls for each and their ratios to plain, and writes them to test-results/bench-progressive.json.
 *
 *   npm run bench -- progressive [--viewers 4 --stagger 3 --watch 30 --runs 1]
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { startServer, type RunningServer } from '../../server-seed/src/server.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../chromium.ts';
import { figuresOf, median, type RunResult } from './bench-report.ts';
import { ffmpeg } from './ffmpeg.ts';
import { runViewer, sleep, type ViewerResult } from './bench-viewer.ts';
import { parseViewerOptions, UsageError, type BenchOptions } from './viewer-options.ts';

const REPO = join(import.meta.dirname, '../..');
const OUTPUT = join(REPO, 'test-results/bench-progressive.json');
const START_TIMEOUT_MS = 30_000;
const FILE = 'film.mp4';
const SECONDS = 90;

const USAGE = `usage: npm run bench -- progressive [--viewers 4] [--stagger 3] [--watch 30] [--runs 1]`;

type Options = BenchOptions;

function parseOptions(argv: string[]): Options {
  const { extra: _, ...options } = parseViewerOptions(argv, { viewers: 4, stagger: 3, watch: 30, runs: 1 }, USAGE);
  return options;
}

/** A 90 s 360p MP4 with its index first (as sites serve progressive files) and the bare page, cached across runs. */
async function makeProgressiveStream(): Promise<{ root: string; cached: boolean }> {
  const root = join(tmpdir(), `p2p-video-bench-progressive-${SECONDS}`);
  if (existsSync(join(root, 'bench.html'))) return { root, cached: true };
  const building = `${root}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  await ffmpeg(
    [
      ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=24:duration=${SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '500k', '-g', '48', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart'],
      join(building, FILE),
    ],
    'the progressive benchmark file',
  );
  await writeFile(
    join(building, 'bench.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>bench</title>' +
      '<script type="module" src="/player/p2p-video.js"></script></head><body></body></html>\n',
  );
  await rm(root, { recursive: true, force: true });
  await rename(building, root);
  return { root, cached: false };
}

async function torrentUpload(statsUrl: string): Promise<number> {
  const stats = (await (await fetch(statsUrl)).json()) as { torrents?: { uploadBytes: number; files: number } | null };
  return stats.torrents?.uploadBytes ?? 0;
}

/** Waits until p2p-seed has hashed the file and its seeder holds it. */
async function torrentReady(origin: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const torrent = await fetch(`${origin}/${FILE}.torrent`, { method: 'HEAD' });
    const stats = (await (await fetch(`${origin}/stats`)).json()) as { torrents?: { files: number } | null };
    if (torrent.status === 200 && (stats.torrents?.files ?? 0) > 0) return;
    if (Date.now() > end) throw new Error(`p2p-seed did not make and seed the torrent of ${FILE} within 60 s`);
    await sleep(250);
  }
}

/** Plain `<video src>`; WebTorrent on a first visit (the service worker installs); WebTorrent for a returning viewer. */
type Scenario = 'plain' | 'torrent' | 'returning';
const SCENARIOS: Scenario[] = ['plain', 'torrent', 'returning'];
const LABELS: Record<Scenario, string> = { plain: 'plain <video src>', torrent: 'WebTorrent + seeder, first visit', returning: 'WebTorrent + seeder, returning viewer' };

async function runScenario(browser: Browser, server: RunningServer, origin: string, options: Options, scenario: Scenario, run: number): Promise<RunResult> {
  const mode = scenario === 'plain' ? 'off' : 'seeded';
  server.origin.reset();
  const before = await torrentUpload(`${origin}/stats`);
  const viewers = await Promise.all(
    Array.from({ length: options.viewers }, async (_, index): Promise<ViewerResult> => {
      await sleep(index * options.stagger * 1000);
      return runViewer(browser, index, {
        page: `${origin}/bench.html`,
        src: `${origin}/${FILE}`,
        mode,
        swarmId: '',
        watchSeconds: options.watch,
        startTimeoutMs: START_TIMEOUT_MS,
        returning: scenario === 'returning',
      });
    }),
  );
  const { segmentBytes, segmentRequests } = server.origin.snapshot;
  return {
    mode,
    run,
    swarmId: '',
    originSegmentBytes: segmentBytes,
    originSegmentRequests: segmentRequests,
    seederUploadBytes: (await torrentUpload(`${origin}/stats`)) - before,
    viewers,
  };
}

const kb = (bytes: number): string => `${Math.round(bytes / 1000)} kB`;
const x = (ratio: number): string => `×${ratio.toFixed(2)}`;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(REPO, 'player/dist/p2p-video.js'))) throw new Error('the player is not built: run `npm run build` first (`npm run bench` does)');
  const stream = await makeProgressiveStream();
  console.log(`file: ${stream.cached ? 'reusing' : 'made'} ${join(stream.root, FILE)}`);
  const server = await startServer({ root: stream.root, port: 0, host: '127.0.0.1', counts: false });
  const origin = server.url.replace(/\/$/, '');
  let browser: Browser | undefined;
  try {
    await torrentReady(origin);
    browser = await chromium.launch({ executablePath: chromiumExecutable, args: CHROMIUM_ARGS });
    console.log(
      `${options.viewers} viewers joining ${options.stagger} s apart, each watching ${options.watch} s of a ${SECONDS} s MP4; ` +
        `plain <video src>, then WebTorrent with the web seed and the seeder, ${options.runs} run(s) (Chromium ${browser.version()}, ${cpus().length} cores)`,
    );
    // One unmeasured viewer each way first: a cold browser and a first service-worker install are not the measure.
    for (const mode of ['off', 'seeded'] as const) {
      await runViewer(browser, 0, { page: `${origin}/bench.html`, src: `${origin}/${FILE}`, mode, swarmId: '', watchSeconds: 2, startTimeoutMs: START_TIMEOUT_MS, label: 'the warm-up viewer' });
    }
    const started = Date.now();
    const runs: (RunResult & { scenario: Scenario })[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const scenario of SCENARIOS) {
        const result = await runScenario(browser, server, origin, options, scenario, run);
        runs.push({ ...result, scenario });
        const f = figuresOf(result);
        console.log(
          `run ${run}, ${LABELS[scenario]}: origin ${kb(result.originSegmentBytes)} in ${result.originSegmentRequests} requests, ` +
            `seeder upload ${kb(result.seederUploadBytes)}, median startup ${Math.round(f.medianStartupMs)} ms, stalls ${f.stalls}, P2P share ${(f.p2pShare * 100).toFixed(1)} %`,
        );
      }
    }
    const of = (scenario: Scenario, run: number) => figuresOf(runs.find((r) => r.run === run && r.scenario === scenario)!);
    const runNumbers = Array.from({ length: options.runs }, (_, i) => i + 1);
    const compare = (figure: (f: ReturnType<typeof figuresOf>) => number, scenario: Scenario) => ({
      plain: median(runNumbers.map((n) => figure(of('plain', n)))),
      torrent: median(runNumbers.map((n) => figure(of(scenario, n)))),
      ratio: median(runNumbers.map((n) => figure(of(scenario, n)) / figure(of('plain', n)))),
    });
    const summary = {
      originBytes: compare((f) => f.originBytes, 'torrent'),
      medianStartupMs: compare((f) => f.medianStartupMs, 'torrent'),
      returningOriginBytes: compare((f) => f.originBytes, 'returning'),
      returningMedianStartupMs: compare((f) => f.medianStartupMs, 'returning'),
      stalls: {
        plain: median(runNumbers.map((n) => of('plain', n).stalls)),
        torrent: median(runNumbers.map((n) => of('torrent', n).stalls)),
        returning: median(runNumbers.map((n) => of('returning', n).stalls)),
      },
      seederUploadBytes: median(runNumbers.map((n) => of('torrent', n).seederUploadBytes)),
      p2pShare: median(runNumbers.map((n) => of('torrent', n).p2pShare)),
    };
    const row = (name: string, c: { plain: number; torrent: number; ratio: number }, unit: (n: number) => string) =>
      `${name.padEnd(30)}plain ${unit(c.plain)}   WebTorrent ${unit(c.torrent)}   ${x(c.ratio)}\n`;
    const ms = (n: number): string => `${Math.round(n)} ms`;
    console.log(
      `\n${options.viewers} viewers, medians of ${options.runs} run(s)\n` +
        row('origin bytes, first visit', summary.originBytes, kb) +
        row('origin bytes, returning', summary.returningOriginBytes, kb) +
        row('median startup, first visit', summary.medianStartupMs, ms) +
        row('median startup, returning', summary.returningMedianStartupMs, ms) +
        `${'stalls'.padEnd(30)}plain ${summary.stalls.plain}   first visit ${summary.stalls.torrent}   returning ${summary.stalls.returning}\n` +
        `seeder upload     ${kb(summary.seederUploadBytes)}; P2P share of the viewers' bytes ${(summary.p2pShare * 100).toFixed(1)} %\n`,
    );
    await mkdir(join(REPO, 'test-results'), { recursive: true });
    const report = { date: new Date().toISOString(), options, durationSeconds: Math.round((Date.now() - started) / 1000), summary, runs };
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${OUTPUT}`);
  } finally {
    await Promise.all([browser?.close(), server.close()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`progressive-bench: ${(error as Error).message}${error instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
