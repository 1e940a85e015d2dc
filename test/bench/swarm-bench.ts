/**
 * Swarm benchmark: N headless viewers watch the same HLS stream from one p2p-seed, first with P2P off (plain
 * hls.js over HTTP), then with P2P on among the viewers only, then with P2P on and the server's seeder in the
 * swarm, in the same process; prints origin bytes, seeder upload, bytes per viewer, P2P share, startup and stalls
 * for each mode and their ratios, and writes them to test-results/bench-swarm.json.
 *
 *   npm run bench [-- --viewers 4 --stagger 3 --watch 30 --runs 1 --renditions 1]
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import type { OriginCounter } from '../../server-seed/src/origin-counter.ts';
import { startServer } from '../../server-seed/src/server.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../chromium.ts';
import { DEFAULT_RECIPE, makeBenchStream } from './bench-media.ts';
import { formatRun, formatSummary, summarize, type RunResult } from './bench-report.ts';
import { runViewer, sleep, ViewerStartError, type Mode, type ViewerOptions, type ViewerResult } from './bench-viewer.ts';
import { numberOption, parseViewerOptions, UsageError } from './viewer-options.ts';

const REPO = join(import.meta.dirname, '../..');
const OUTPUT = join(REPO, 'test-results/bench-swarm.json');
const START_TIMEOUT_MS = 30_000;


interface Options {
  viewers: number;
  stagger: number;
  watch: number;
  runs: number;
  renditions: 1 | 2;
}

const USAGE = `usage: npm run bench -- [--viewers N] [--stagger S] [--watch S] [--runs K] [--renditions 1|2]
  --viewers N      viewers per run, each in its own browser context (default 4)
  --stagger S      seconds between two viewers joining (default 3)
  --watch S        seconds each viewer watches from its first \`playing\` (default 30)
  --runs K         repeat both modes K times and report medians (default 1)
  --renditions R   1: 360p only; 2: adds a 240p rendition (default 1)
environment: P2P_CHROMIUM=/path/to/chrome (default /usr/bin/chromium)`;

function parseOptions(argv: string[]): Options {
  const { extra, ...options } = parseViewerOptions(argv, { viewers: 4, stagger: 3, watch: 30, runs: 1 }, USAGE, { renditions: '1' });
  const renditions = numberOption('renditions', extra.renditions, 1, true);
  if (renditions > 2) throw new UsageError(`--renditions must be 1 or 2, not "${extra.renditions}"`);
  return { ...options, renditions: renditions as 1 | 2 };
}


async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const bundle = join(REPO, 'player/dist/p2p-video.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first (\`npm run bench\` does)`);

  const recipe = { ...DEFAULT_RECIPE, renditions: options.renditions };
  const made = Date.now();
  const stream = await makeBenchStream(recipe);
  console.log(
    stream.cached
      ? `stream: reusing ${stream.root}`
      : `stream: made ${stream.root} in ${((Date.now() - made) / 1000).toFixed(1)} s`,
  );

  // The seeder is in the stream's own swarm only: runs without it give their viewers a swarm id of their own.
  const server = await startServer({ root: stream.root, port: 0, host: '127.0.0.1', openTracker: true });
  const origin = server.url.replace(/\/$/, '');
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumExecutable, args: CHROMIUM_ARGS });
    console.log(
      `${options.viewers} viewers joining ${options.stagger} s apart, each watching ${options.watch} s; ` +
        `P2P off, on, on without hash checks, then on with the seeder, ${options.runs} run${options.runs > 1 ? 's' : ''} (Chromium ${browser.version()}, ${cpus().length} cores)`,
    );
    const started = Date.now();
    const session = started.toString(36);
    const bench: Bench = { browser, counter: server.origin, statsUrl: `${origin}/stats`, page: `${origin}${stream.page}`, src: `${origin}${stream.src}`, options };
    // One unmeasured viewer first, so the P2P-off run (always first) does not also pay for a cold browser and server.
    const warmUp = runViewer(browser, 0, {
      ...viewerOptions(bench, 'off', `bench-${session}-warm-up`),
      watchSeconds: 2,
      label: 'the warm-up viewer',
    });
    await withDeadline(warmUp, START_TIMEOUT_MS * 2 + 30_000, 'the warm-up viewer did not finish');
    const runs: RunResult[] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      for (const mode of ['off', 'on', 'unverified', 'seeded'] as const) {
        const result = await runScenario(bench, mode, run, `bench-${session}-${run}-${mode}`);
        console.log(formatRun(result));
        runs.push(result);
      }
    }

    const summary = summarize(runs, options.viewers);
    console.log(`\n${formatSummary(summary)}\n`);
    await mkdir(join(REPO, 'test-results'), { recursive: true });
    const report = {
      date: new Date().toISOString(),
      command: ['tsx', 'test/bench/swarm-bench.ts', ...process.argv.slice(2)].join(' '),
      options,
      stream: { ...recipe, width: 640, height: 360, bitrateKbps: 500, cached: stream.cached },
      environment: { node: process.version, chromium: browser.version(), cores: cpus().length, platform: process.platform },
      durationSeconds: Math.round((Date.now() - started) / 1000),
      summary,
      runs,
    };
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${OUTPUT} (${report.durationSeconds} s)`);
  } finally {
    // Bounded, so a wedged browser cannot keep the process alive after the result (or the error) is out.
    await withDeadline(Promise.all([browser?.close(), server.close()]), 15_000, 'closing the browser and server timed out').catch(
      (error: unknown) => console.error(`swarm-bench: ${(error as Error).message}`),
    );
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

interface Bench {
  browser: Browser;
  counter: OriginCounter;
  /** The server's GET /stats, for the seeder's upload. */
  statsUrl: string;
  /** Absolute URLs of the bare page and the multivariant playlist. */
  page: string;
  src: string;
  options: Options;
}

function viewerOptions(bench: Bench, mode: Mode, swarmId: string): ViewerOptions {
  return { page: bench.page, src: bench.src, mode, swarmId, watchSeconds: bench.options.watch, startTimeoutMs: START_TIMEOUT_MS };
}

/** One mode once: viewers join `stagger` seconds apart, each watches and leaves; the origin counts what it sent. */
async function runScenario(bench: Bench, mode: Mode, run: number, swarmId: string): Promise<RunResult> {
  const { viewers, stagger, watch } = bench.options;
  bench.counter.reset();
  const seederBefore = await seederUpload(bench);
  const all = Promise.allSettled(
    Array.from({ length: viewers }, async (_, index): Promise<ViewerResult> => {
      await sleep(index * stagger * 1000);
      return runViewer(bench.browser, index, viewerOptions(bench, mode, swarmId));
    }),
  );
  // A page that hangs (a broken bundle, a busy loop in the player) must fail the run, not stall it forever.
  const deadlineMs = ((viewers - 1) * stagger + watch) * 1000 + START_TIMEOUT_MS * 2 + 30_000;
  const settled = await withDeadline(all, deadlineMs, `run ${run} with P2P ${mode} did not finish`);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const { segmentBytes, segmentRequests } = bench.counter.snapshot;
  return {
    mode,
    run,
    swarmId,
    originSegmentBytes: segmentBytes,
    originSegmentRequests: segmentRequests,
    seederUploadBytes: (await seederUpload(bench)) - seederBefore,
    viewers: settled.map((s) => (s as PromiseFulfilledResult<ViewerResult>).value),
  };
}

async function seederUpload(bench: Bench): Promise<number> {
  const stats = (await (await fetch(bench.statsUrl)).json()) as { seeder: { uploadBytes: number } | null };
  if (!stats.seeder) throw new Error('the server runs no seeder');
  return stats.seeder.uploadBytes;
}

main().then(() => process.exit(0), (error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`swarm-bench: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const message = error instanceof ViewerStartError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`swarm-bench: ${message}`);
  process.exit(1);
});
